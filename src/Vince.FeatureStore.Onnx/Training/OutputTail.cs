using System.Text;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>The last lines a process wrote (stdout and stderr interleaved), bounded in lines and line length. Thread-safe.</summary>
internal sealed class OutputTail(int maxLines)
{
    /// <summary>Longer lines are cut: a process writing one endless line must not hold the memory.</summary>
    public const int MaxLineLength = 4096;

    private readonly Queue<string> _lines = new();
    private readonly object _lock = new();
    private long _total;

    /// <summary>Lines seen in all (kept or not).</summary>
    public long TotalLines
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    public void Add(string stream, string line)
    {
        string entry = stream + ": " + Cut(line);
        lock (_lock)
        {
            _total++;
            _lines.Enqueue(entry);
            while (_lines.Count > maxLines)
            {
                _lines.Dequeue();
            }
        }
    }

    public static string Cut(string line) => line.Length <= MaxLineLength ? line : string.Concat(line.AsSpan(0, MaxLineLength), " …(cut)");

    /// <summary>The kept lines, with a first line saying how many were dropped.</summary>
    public override string ToString() => Text(int.MaxValue);

    /// <summary>The last <paramref name="lines"/> kept lines.</summary>
    public string Text(int lines)
    {
        lock (_lock)
        {
            var builder = new StringBuilder();
            int skip = Math.Max(0, _lines.Count - lines);
            long dropped = _total - _lines.Count + skip;
            if (dropped > 0)
            {
                builder.Append("… (").Append(dropped).Append(" earlier line(s) not shown)").Append('\n');
            }

            foreach (string line in _lines.Skip(skip))
            {
                builder.Append(line).Append('\n');
            }

            return builder.ToString().TrimEnd('\n');
        }
    }
}
