namespace Vince.FeatureStore;

/// <summary>Which files a <see cref="FeatureLogReader"/> reads, and how.</summary>
public sealed class FeatureLogReaderOptions
{
    /// <summary>
    /// Read only the store's own log (<c>features_*.jsonl</c>), leaving out the training script's
    /// <c>synthetic_*.jsonl</c> and <c>combined.jsonl</c> (its <c>--real-only</c>). Default <see langword="false"/>:
    /// the reader reads all three, in the script's order.
    /// </summary>
    public bool RealOnly { get; set; }

    /// <summary>Lines longer than this many bytes are skipped with a warning. Default 16 MiB.</summary>
    public int MaxLineBytes { get; set; } = Jsonl.JsonlLineReader.DefaultMaxLineBytes;
}
