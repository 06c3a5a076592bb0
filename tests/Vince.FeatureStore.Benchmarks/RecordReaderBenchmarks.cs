using BenchmarkDotNet.Attributes;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// The log reader's per-line parse: the hand-written <c>FeatureRecordReader</c> against System.Text.Json's
/// source-generated deserialization of the same lines (<see cref="FeatureJson.Deserialize(ReadOnlySpan{byte})"/>).
/// Each operation is one line.
/// </summary>
/// <remarks>The lines are 1,000 fully populated records (<see cref="SampleRecords"/>), serialized once in the setup.</remarks>
[MemoryDiagnoser]
[MedianColumn]
public class RecordReaderBenchmarks
{
    private const int Lines = 1_000;
    private byte[][] _lines = [];

    [GlobalSetup]
    public void GlobalSetup()
    {
        _lines = [.. SampleRecords.Create(Lines).Select(FeatureJson.SerializeToUtf8Bytes)];
        foreach (byte[] line in _lines)
        {
            if (!FeatureRecordReader.TryRead(line, out _))
            {
                throw new InvalidOperationException("A sample line fell back to the serializer.");
            }
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lines)]
    public int SystemTextJson()
    {
        int sum = 0;
        foreach (byte[] line in _lines)
        {
            sum += FeatureJson.Deserialize(line).Asset.Length;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int FastReader()
    {
        int sum = 0;
        foreach (byte[] line in _lines)
        {
            FeatureRecordReader.TryRead(line, out FeatureRecord? record);
            sum += record!.Asset.Length;
        }

        return sum;
    }
}
