using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Tests.Support;

/// <summary>Runs an exported model file with ONNX Runtime, one row at a time.</summary>
internal sealed class OnnxRunner : IDisposable
{
    private readonly InferenceSession _session;

    public OnnxRunner(string path)
    {
        _session = new InferenceSession(path);
        Width = _session.InputMetadata["input"].Dimensions[1];
    }

    public int Width { get; }

    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    public InferenceSession Session => _session;

    /// <summary>The float output <paramref name="output"/> and the int64 label (when the model has one) for one row.</summary>
    public (float[] Values, long? Label) Run(float[] row, string output)
    {
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(row, [1, row.Length]);
        bool hasLabel = _session.OutputMetadata["output"].ElementDataType == TensorElementType.Int64;
        string[] names = hasLabel ? [output, "output"] : [output];
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> results = _session.Run(runOptions, ["input"], [input], names);
        float[] values = results[0].GetTensorDataAsSpan<float>().ToArray();
        return (values, hasLabel ? results[1].GetTensorDataAsSpan<long>()[0] : null);
    }

    public void Dispose() => _session.Dispose();
}
