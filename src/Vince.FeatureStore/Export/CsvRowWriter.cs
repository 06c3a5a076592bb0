using System.Globalization;

namespace Vince.FeatureStore.Export;

/// <summary>Writes RFC 4180 CSV (comma, CRLF, quotes doubled) with invariant-culture numbers, without per-field allocations.</summary>
internal sealed class CsvRowWriter(TextWriter writer)
{
    private readonly char[] _number = new char[32];
    private bool _rowStarted;

    public void Field(string? text)
    {
        Separator();
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            writer.Write(text);
            return;
        }

        writer.Write('"');
        writer.Write(text.Replace("\"", "\"\"", StringComparison.Ordinal));
        writer.Write('"');
    }

    public void Field(double value)
    {
        Separator();
        if (value.TryFormat(_number, out int written, "R", CultureInfo.InvariantCulture))
        {
            writer.Write(_number, 0, written);
        }
        else
        {
            writer.Write(value.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    public void EndRow()
    {
        writer.Write("\r\n");
        _rowStarted = false;
    }

    private void Separator()
    {
        if (_rowStarted)
        {
            writer.Write(',');
        }

        _rowStarted = true;
    }
}
