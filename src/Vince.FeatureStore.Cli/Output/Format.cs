using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Vince.FeatureStore.Cli;

/// <summary>Invariant-culture formatting of the tool's output, and JSON documents on stdout.</summary>
internal static class Format
{
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Shortest text that reads back as the same value.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A Unix-ms decision time as ISO 8601 UTC, or the raw number when out of range.</summary>
    public static string Time(long unixMs)
        => unixMs is >= -62_135_596_800_000 and <= 253_402_300_799_999
            ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
            : unixMs.ToString(CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MiB"),
    };

    /// <summary>Writes one indented JSON document and a newline to <paramref name="output"/>.</summary>
    public static void Json(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>A finite float in its shortest round-trip form, or null for NaN/Infinity.</summary>
    public static void WriteNumberOrNull(this Utf8JsonWriter writer, string name, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>A finite number, or null for NaN/Infinity (JSON has neither).</summary>
    public static void WriteNumberOrNull(this Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}

/// <summary>A plain text table with aligned columns (numbers right-aligned).</summary>
internal static class TextTable
{
    public static void Write(TextWriter output, string indent, IReadOnlyList<string> headers, IReadOnlyList<string[]> rows, ISet<int>? rightAligned = null)
    {
        int[] widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        WriteRow(headers);
        foreach (string[] row in rows)
        {
            WriteRow(row);
        }

        void WriteRow(IReadOnlyList<string> cells)
        {
            var line = new StringBuilder(indent);
            for (int i = 0; i < cells.Count; i++)
            {
                if (i > 0)
                {
                    line.Append("  ");
                }

                bool last = i == cells.Count - 1;
                line.Append(rightAligned?.Contains(i) == true ? cells[i].PadLeft(widths[i]) : last ? cells[i] : cells[i].PadRight(widths[i]));
            }

            output.WriteLine(line.ToString().TrimEnd());
        }
    }
}
