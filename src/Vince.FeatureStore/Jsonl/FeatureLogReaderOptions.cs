namespace Vince.FeatureStore;

/// <summary>Which files a <see cref="FeatureLogReader"/> reads besides <c>features_*.jsonl</c>.</summary>
public sealed class FeatureLogReaderOptions
{
    /// <summary>Also read <c>synthetic_*.jsonl</c> (before the feature files, so real records win on equal ids).</summary>
    public bool IncludeSynthetic { get; set; }

    /// <summary>Also read <c>combined.jsonl</c> (before the feature files).</summary>
    public bool IncludeCombined { get; set; }

    /// <summary>Lines longer than this many bytes are skipped with a warning. Default 16 MiB.</summary>
    public int MaxLineBytes { get; set; } = Jsonl.JsonlLineReader.DefaultMaxLineBytes;
}
