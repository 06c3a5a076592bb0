namespace Vince.FeatureStore.Onnx;

/// <summary>
/// The model input <see cref="OnnxSignalQualityScorer.Score"/> builds for a record, from
/// <see cref="OnnxSignalQualityScorer.BuildInput"/>: for diagnostics and training/serving parity checks.
/// </summary>
public sealed class ScoringInput
{
    internal ScoringInput(OnnxModelInfo model, float[] values, float[] modelInput)
    {
        Model = model;
        Values = values;
        ModelInput = modelInput;
    }

    /// <summary>The model the input was built for.</summary>
    public OnnxModelInfo Model { get; }

    /// <summary>The column names in model input order (<see cref="OnnxModelInfo.FeatureNames"/>).</summary>
    public IReadOnlyList<string> FeatureNames => Model.FeatureNames;

    /// <summary>The flattened values in <see cref="FeatureNames"/> order, before any scaling: what a training row holds for the record.</summary>
    public IReadOnlyList<float> Values { get; }

    /// <summary>The values fed to the model: <see cref="Values"/> standardised with the metadata's mean/std when it has them, else the same values.</summary>
    public IReadOnlyList<float> ModelInput { get; }
}
