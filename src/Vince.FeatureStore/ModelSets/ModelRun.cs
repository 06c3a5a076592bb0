namespace Vince.FeatureStore.ModelSets;

/// <summary>Where a training run stands in the model registry.</summary>
public enum ModelRunStatus
{
    /// <summary>The run <c>latest.json</c> points to: what every instance installs.</summary>
    Latest,

    /// <summary>A run that was published once and has since been replaced (a rollback target).</summary>
    Published,

    /// <summary>A run the quality gate refused: kept with its <c>rejected.json</c>, never pointed to.</summary>
    Rejected,

    /// <summary>The set at the bucket root, in the original bot's flat layout (no <c>latest.json</c>).</summary>
    Flat,
}

/// <summary>One training run in the model registry (<c>runs/&lt;id&gt;/</c> of the bucket).</summary>
/// <param name="Id">The run id, <c>&lt;trained_at&gt;-&lt;sha12&gt;</c> (e.g. <c>20260122T120000123Z-0123456789ab</c>), or <c>flat</c>.</param>
/// <param name="TrainedAt">When it was trained (UTC), or <see langword="null"/> for a flat set.</param>
/// <param name="Status">Latest, published, rejected or flat.</param>
public sealed record ModelRun(string Id, DateTimeOffset? TrainedAt, ModelRunStatus Status)
{
    /// <summary>Why the quality gate refused the run (only for <see cref="ModelRunStatus.Rejected"/>).</summary>
    public string? RejectionReason { get; init; }

    /// <summary>The signal-quality holdout AUC the gate measured for the run, when it was measured.</summary>
    public double? HoldoutAuc { get; init; }
}

/// <summary>
/// The quality gate's verdict on a new model set (the challenger) against the current one (the champion): both
/// signal-quality models scored with ONNX Runtime on the same holdout rows, the challenger's.
/// </summary>
/// <param name="Passed">The challenger may be installed and published.</param>
/// <param name="Reason">Why, in one sentence with the figures.</param>
public sealed record ModelGateResult(bool Passed, string Reason)
{
    /// <summary>The challenger's signal-quality AUC on the holdout; <see langword="null"/> when it could not be measured.</summary>
    public double? ChallengerAuc { get; init; }

    /// <summary>The champion's signal-quality AUC on the same rows; <see langword="null"/> without a champion.</summary>
    public double? ChampionAuc { get; init; }

    /// <summary>The champion's run id (<c>latest.json</c>), or a description of where it came from (the local models directory).</summary>
    public string? Champion { get; init; }

    /// <summary>How much lower than the champion's AUC the challenger's may be.</summary>
    public double Tolerance { get; init; }

    /// <summary>The number of holdout rows both were scored on.</summary>
    public int HoldoutRows { get; init; }

    /// <summary>The gate was overridden (<c>train --force</c>): the set was published whatever the figures said.</summary>
    public bool Forced { get; init; }
}
