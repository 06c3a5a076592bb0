namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>How a loaded model's output is read: the kind, the column, a classifier's labels, the calibration and threshold.</summary>
/// <param name="Kind">How the output is decoded.</param>
/// <param name="Column">The column of a probability (class 1) in the output of one record.</param>
/// <param name="ClassLabels">The label of each output column (<see cref="ModelOutputKind.ClassLabel"/>), else empty.</param>
/// <param name="Calibration">Platt calibration of the probability (signal quality), else <see langword="null"/>.</param>
/// <param name="Threshold">The probability threshold (signal quality), else <see langword="null"/>.</param>
internal sealed record OutputDecoding(ModelOutputKind Kind, int Column, double[] ClassLabels, PlattCalibration? Calibration, double? Threshold);
