namespace Vince.FeatureStore.Onnx;

/// <summary>How a model's output is read, as the trainers write the model.</summary>
public enum ModelOutputKind
{
    /// <summary>A classifier's probability of class 1 (signal quality), calibrated and compared with a threshold.</summary>
    Probability,

    /// <summary>A regression value: the r-multiple of position sizing, the stop-loss quantile of the SL model.</summary>
    Regression,

    /// <summary>A class label: the take-profit level whose class has the highest probability (TP optimizer).</summary>
    ClassLabel,
}

/// <summary>One model's score of one decision, as <see cref="OnnxModelScorer.Score(FeatureRecord, ServingHistory)"/> returns it. No allocation.</summary>
/// <param name="Value">The decoded value: the calibrated probability (signal quality), the r-multiple, the TP level, the SL quantile.</param>
/// <param name="ModelValue">What the model computed before calibration (equal to <paramref name="Value"/> for the other models).</param>
/// <param name="Threshold">The probability a signal must reach (signal quality), else <see langword="null"/>.</param>
/// <param name="ColdLags">Whether some lag column missed an earlier record of the asset (fewer than 3 in the history).</param>
/// <param name="InputHash">FNV-1a 64 of the input vector (the flattened values, before any scaling), to compare served and recomputed inputs.</param>
public readonly record struct ModelScore(double Value, double ModelValue, double? Threshold, bool ColdLags, ulong InputHash)
{
    /// <summary>Whether the value reaches the threshold; always <see langword="true"/> for a model without one.</summary>
    public bool PassesThreshold => Threshold is not { } threshold || Value >= threshold;

    /// <summary><see cref="InputHash"/> as 16 lower-case hex digits, as the served-score record writes it.</summary>
    public string InputHashText => InputHash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}
