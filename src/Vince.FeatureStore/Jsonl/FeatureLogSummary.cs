namespace Vince.FeatureStore;

/// <summary>What a feature data directory holds, from <see cref="FeatureLogReader.GetSummaryAsync"/>.</summary>
public sealed record FeatureLogSummary
{
    /// <summary>The directory read.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The files read, in read order.</summary>
    public required IReadOnlyList<FeatureLogFileSummary> Files { get; init; }

    /// <summary>Valid lines in all files: every version of every record.</summary>
    public long Versions { get; init; }

    /// <summary>Lines skipped as invalid (torn, not JSON, no id, oversized).</summary>
    public long SkippedLines { get; init; }

    /// <summary>Records: distinct ids (their latest version counts).</summary>
    public int Records { get; init; }

    /// <summary>Records whose latest version has an outcome and labels: the trades training can use.</summary>
    public int CompleteRecords { get; init; }

    /// <summary>The earliest decision time (Unix ms, as <see cref="FeatureRecord.Timestamp"/>), or <see langword="null"/> without records.</summary>
    public long? FirstTimestamp { get; init; }

    /// <summary>The latest decision time (Unix ms), or <see langword="null"/> without records.</summary>
    public long? LastTimestamp { get; init; }

    /// <summary>The same counts per asset, by asset name (ordinal).</summary>
    public required IReadOnlyList<FeatureLogAssetSummary> Assets { get; init; }
}

/// <summary>One JSONL file of a <see cref="FeatureLogSummary"/>.</summary>
/// <param name="Path">The full path.</param>
/// <param name="Bytes">Its size when read.</param>
/// <param name="Versions">Valid lines (record versions).</param>
/// <param name="SkippedLines">Invalid lines skipped.</param>
public sealed record FeatureLogFileSummary(string Path, long Bytes, int Versions, int SkippedLines);

/// <summary>The records of one asset in a <see cref="FeatureLogSummary"/>.</summary>
/// <param name="Asset">The asset as written (empty when records have none).</param>
/// <param name="Records">Distinct ids.</param>
/// <param name="CompleteRecords">Of those, complete trades.</param>
/// <param name="FirstTimestamp">The earliest decision time (Unix ms).</param>
/// <param name="LastTimestamp">The latest decision time (Unix ms).</param>
public sealed record FeatureLogAssetSummary(string Asset, int Records, int CompleteRecords, long FirstTimestamp, long LastTimestamp);
