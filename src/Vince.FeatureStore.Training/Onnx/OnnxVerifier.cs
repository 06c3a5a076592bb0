using Microsoft.ML.OnnxRuntime;

namespace Vince.FeatureStore.Training.Onnx;

/// <summary>Runs an exported model with ONNX Runtime, single-threaded like the scorer, to check it against ML.NET.</summary>
internal static class OnnxVerifier
{
    private const int BatchSize = 4096;

    /// <summary>The values of <paramref name="outputName"/> (float [N, K]) for each row.</summary>
    public static List<float[]> Run(byte[] model, IReadOnlyList<float[]> rows, int featureCount, string outputName)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        using var runOptions = new RunOptions();
        var results = new List<float[]>(rows.Count);
        for (int start = 0; start < rows.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, rows.Count - start);
            float[] input = new float[count * featureCount];
            for (int i = 0; i < count; i++)
            {
                rows[start + i].CopyTo(input, i * featureCount);
            }

            using OrtValue tensor = OrtValue.CreateTensorValueFromMemory(input, [count, featureCount]);
            using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [OnnxModelWriter.InputName], [tensor], [outputName]);
            OrtValue output = outputs[0];
            long[] shape = output.GetTensorTypeAndShape().Shape;
            int width = shape.Length == 2 ? (int)shape[1] : 1;
            ReadOnlySpan<float> values = output.GetTensorDataAsSpan<float>();
            for (int i = 0; i < count; i++)
            {
                results.Add(values.Slice(i * width, width).ToArray());
            }
        }

        return results;
    }

    /// <summary>The int64 label output for each row.</summary>
    public static List<long> RunLabels(byte[] model, IReadOnlyList<float[]> rows, int featureCount)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        using var runOptions = new RunOptions();
        float[] input = new float[rows.Count * featureCount];
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(input, i * featureCount);
        }

        using OrtValue tensor = OrtValue.CreateTensorValueFromMemory(input, [rows.Count, featureCount]);
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, [OnnxModelWriter.InputName], [tensor], [OnnxModelWriter.LabelOutput]);
        return outputs[0].GetTensorDataAsSpan<long>().ToArray().ToList();
    }
}
