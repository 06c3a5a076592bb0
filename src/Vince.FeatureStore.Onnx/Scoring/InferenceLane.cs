using Microsoft.ML.OnnxRuntime;

namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>
/// The buffers of one call in flight: the input and output arrays on the pinned object heap, OrtValues over
/// them and an IO binding that ties them to the session once. Running the session through the binding
/// marshals nothing and allocates nothing; the next call only overwrites <see cref="Input"/>.
/// </summary>
internal sealed class InferenceLane : IDisposable
{
    private readonly OrtValue _inputValue;
    private readonly OrtValue _outputValue;

    public InferenceLane(InferenceSession session, string inputName, long[] inputShape, string outputName, long[] outputShape)
    {
        Input = GC.AllocateArray<float>(checked((int)inputShape.Aggregate(1L, (a, b) => a * b)), pinned: true);
        Output = GC.AllocateArray<float>(checked((int)outputShape.Aggregate(1L, (a, b) => a * b)), pinned: true);
        RunOptions = new RunOptions();
        _inputValue = OrtValue.CreateTensorValueFromMemory(Input, inputShape);
        _outputValue = OrtValue.CreateTensorValueFromMemory(Output, outputShape);
        Binding = session.CreateIoBinding();
        Binding.BindInput(inputName, _inputValue);
        Binding.BindOutput(outputName, _outputValue);
    }

    public float[] Input { get; }

    public float[] Output { get; }

    public OrtIoBinding Binding { get; }

    public RunOptions RunOptions { get; }

    public void Dispose()
    {
        Binding.Dispose();
        _inputValue.Dispose();
        _outputValue.Dispose();
        RunOptions.Dispose();
    }
}
