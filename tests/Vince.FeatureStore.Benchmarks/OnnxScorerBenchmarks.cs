using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// Scoring one record end to end with <see cref="OnnxSignalQualityScorer"/> (flatten 27 columns including lag
/// columns from the history, run the model through the bound buffers, Platt calibration) against a raw
/// <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue})"/>
/// with a prebuilt input tensor and a preallocated output tensor, for the same model: 100 XGBoost trees of depth 4 in
/// the onnxmltools layout. <see cref="RawRunAllocatingOutputs"/> is the same run letting ONNX Runtime allocate the
/// outputs; <see cref="RawRunWithBinding"/> is the floor: the same session run through a prebuilt IO binding, nothing else.
/// </summary>
/// <remarks>
/// The scorer loads the file as the Python script writes it (declared output 0 renamed to <c>output</c>, repaired
/// at load); the raw session loads the clean export, which ONNX Runtime accepts as it is.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class OnnxScorerBenchmarks
{
    private static readonly string[] FeatureNames =
    [
        "market_priceChange24h", "market_volumeRatio", "market_fundingPercentile", "market_longShortRatio",
        "signal_strength", "signal_confidence", "signal_source_count", "signal_hasCascadeSignal",
        "signal_hasFundingExtreme", "signal_hasWhaleSignal", "session_isWeekend", "session_isOpenWindow",
        "session_utcHour", "market_dvol", "market_rsi14", "signal_avg_sentiment",
        "news_macro_risk_on", "news_macro_risk_off", "regime_volatility_high", "regime_bullish", "regime_bearish",
        "asset_BTC", "asset_ETH",
        "market_priceChange24h_lag1", "market_priceChange24h_lag2", "market_priceChange24h_lag3", "market_priceChange24h_roll3",
    ];

    private string _directory = "";
    private OnnxSignalQualityScorer _scorer = null!;
    private OnnxModelScorer _modelScorer = null!;
    private ServingHistory _servingHistory = null!;
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private OrtValue _input = null!;
    private float[] _inputVector = [];
    private float[][] _vectors = [];
    private OrtValue[] _inputs = [];
    private OrtValue _output = null!;
    private OrtValue[] _outputs = [];
    private float[] _probabilities = [];
    private OrtValue _boundOutput = null!;
    private float[] _boundProbabilities = [];
    private OrtIoBinding _binding = null!;
    private readonly string[] _inputNames = ["input"];
    private readonly string[] _outputNames = ["probabilities"];
    private FeatureRecord[] _records = [];
    private FeatureHistory _history = null!;
    private int _next;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "vince-fs-bench-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _records = SampleRecords.Create(64);
        _history = new FeatureHistory();
        foreach (FeatureRecord record in SampleRecords.Create(16, seed: 7))
        {
            _history.Add(record);
        }

        CompiledColumns columns = FeatureFlattener.Compile(FeatureNames);
        float[][] vectors = _records.Select(r =>
        {
            float[] v = new float[columns.Count];
            columns.Fill(r, _history, v);
            return v;
        }).ToArray();

        var random = new Random(42);
        var trees = Enumerable.Range(0, 100).Select(_ => BenchmarkTrees.Random(random, depth: 4, vectors)).ToArray();
        byte[] clean = BenchmarkTrees.XgboostModel(trees, FeatureNames.Length, outputName: "label");
        File.WriteAllBytes(Path.Combine(_directory, "signal_quality.onnx"), BenchmarkTrees.XgboostModel(trees, FeatureNames.Length, outputName: "output"));
        File.WriteAllText(Path.Combine(_directory, "training_metadata.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["signal_quality_input_dim"] = FeatureNames.Length,
            ["signal_quality_feature_names"] = FeatureNames,
            ["improvement_report"] = new Dictionary<string, object>
            {
                ["suggested_signal_quality_threshold"] = 0.58,
                ["signal_quality_calibration"] = new Dictionary<string, double> { ["scale"] = 2.1, ["intercept"] = -0.8 },
            },
        }));

        _scorer = new OnnxSignalQualityScorer(new OnnxScoringOptions { ModelsDirectory = _directory, WatchForChanges = false });
        _modelScorer = OnnxModelScorer.Load(_directory, TrainingModel.SignalQuality);
        _servingHistory = new ServingHistory();
        foreach (FeatureRecord record in SampleRecords.Create(16, seed: 7))
        {
            _servingHistory.Add(record);
        }

        var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(clean, sessionOptions);
        _runOptions = new RunOptions();
        // The raw runs feed the very vectors the scorers build for their 64 records, one after the other.
        _vectors = vectors;
        _inputVector = GC.AllocateArray<float>(FeatureNames.Length, pinned: true);
        vectors[0].CopyTo(_inputVector);
        _input = OrtValue.CreateTensorValueFromMemory(_inputVector, [1, FeatureNames.Length]);
        _inputs = [_input];
        _probabilities = GC.AllocateArray<float>(2, pinned: true);
        _output = OrtValue.CreateTensorValueFromMemory(_probabilities, [1, 2]);
        _outputs = [_output];
        _boundProbabilities = GC.AllocateArray<float>(2, pinned: true);
        _boundOutput = OrtValue.CreateTensorValueFromMemory(_boundProbabilities, [1, 2]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput("input", _input);
        _binding.BindOutput("probabilities", _boundOutput);

        // Output check: same model, same input, same probability (the scorer calibrates after the model).
        _next = 0;
        double raw = RawInferenceSessionRun();
        _next = 0;
        if (Math.Abs(raw - RawRunAllocatingOutputs()) > 1e-6)
        {
            throw new InvalidOperationException("The two raw runs disagree.");
        }

        SignalQualityScore score = _scorer.Score(_records[0], _history);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// Output check: raw {raw:R}, scorer model probability {score.ModelProbability:R} (calibrated {score.Probability:R}); repairs: {string.Join("; ", _scorer.Model!.Repairs)}"));
        ModelScore generic = _modelScorer.Score(_records[0], _servingHistory);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// Output check: generic model scorer {generic.ModelValue:R} (calibrated {generic.Value:R})"));
        if (Math.Abs(raw - score.ModelProbability) > 1e-6 || Math.Abs(raw - generic.ModelValue) > 1e-6)
        {
            throw new InvalidOperationException("The scorer and the raw session disagree.");
        }

        for (int i = 0; i < 20_000; i++)
        {
            RawInferenceSessionRun();
        }

        Console.WriteLine($"// Caller-thread allocations per OnnxModelScorer.Score: {CallerAllocations.PerCall(() => ScoreWithModelScorer())} B");
        Console.WriteLine($"// Caller-thread allocations per Score: {CallerAllocations.PerCall(() => ScoreRecord())} B");
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _scorer.Dispose();
        _modelScorer.Dispose();
        _binding.Dispose();
        _boundOutput.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
        _input.Dispose();
        _output.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The baseline: <c>Run</c> with the prebuilt input and a preallocated output (names marshalled on each call).</summary>
    [Benchmark(Baseline = true)]
    public double RawInferenceSessionRun()
    {
        _vectors[_next++ & 63].CopyTo(_inputVector);
        _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);
        return _probabilities[1];
    }

    /// <summary><c>Run</c> returning new output values, as the earlier baseline did.</summary>
    [Benchmark]
    public double RawRunAllocatingOutputs()
    {
        _vectors[_next++ & 63].CopyTo(_inputVector);
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, _inputNames, _inputs, _outputNames);
        return outputs[0].GetTensorDataAsSpan<float>()[1];
    }

    /// <summary>The floor of the scorer's approach: the same session run through a prebuilt IO binding, no flattening.</summary>
    [Benchmark]
    public double RawRunWithBinding()
    {
        _vectors[_next++ & 63].CopyTo(_inputVector);
        _session.RunWithBinding(_runOptions, _binding);
        return _boundProbabilities[1];
    }

    [Benchmark]
    public double ScoreRecord() => _scorer.Score(_records[_next++ & 63], _history).Probability;

    /// <summary>The generic <see cref="OnnxModelScorer"/> on the same model, lags from the store's locked <see cref="ServingHistory"/>, input hash included.</summary>
    [Benchmark]
    public double ScoreWithModelScorer() => _modelScorer.Score(_records[_next++ & 63], _servingHistory).Value;
}

/// <summary>Random XGBoost-style trees, hand-encoded as an onnxmltools TreeEnsembleClassifier ModelProto.</summary>
internal static class BenchmarkTrees
{
    public sealed record Node(int Feature, float Threshold, Node? Yes, Node? No, float Leaf);

    public static Node Random(Random random, int depth, float[][] vectors)
    {
        if (depth == 0)
        {
            return new Node(0, 0, null, null, (float)((random.NextDouble() - 0.5) * 0.6));
        }

        int feature = random.Next(vectors[0].Length);
        float threshold = vectors[random.Next(vectors.Length)][feature];
        return new Node(feature, threshold, Random(random, depth - 1, vectors), Random(random, depth - 1, vectors), 0);
    }

    /// <summary>
    /// The onnxmltools export of a binary XGBoost classifier (opset 12, ai.onnx.ml 1). <paramref name="outputName"/>
    /// <c>label</c> is the clean file; <c>output</c> is what the training script writes (ONNX Runtime refuses it).
    /// </summary>
    public static byte[] XgboostModel(IReadOnlyList<Node> trees, int features, string outputName)
    {
        var treeIds = new List<long>();
        var nodeIds = new List<long>();
        var featureIds = new List<long>();
        var modes = new List<string>();
        var values = new List<float>();
        var trueIds = new List<long>();
        var falseIds = new List<long>();
        var missing = new List<long>();
        var classTrees = new List<long>();
        var classNodes = new List<long>();
        var weights = new List<float>();
        for (int t = 0; t < trees.Count; t++)
        {
            var ids = new Dictionary<Node, long>(ReferenceEqualityComparer.Instance);
            Number(trees[t], ids);
            Emit(trees[t]);

            void Emit(Node node)
            {
                treeIds.Add(t);
                nodeIds.Add(ids[node]);
                if (node.Yes is { } yes && node.No is { } no)
                {
                    featureIds.Add(node.Feature);
                    modes.Add("BRANCH_LT");
                    values.Add(node.Threshold);
                    trueIds.Add(ids[yes]);
                    falseIds.Add(ids[no]);
                    missing.Add(1);
                    Emit(yes);
                    Emit(no);
                }
                else
                {
                    featureIds.Add(0);
                    modes.Add("LEAF");
                    values.Add(0);
                    trueIds.Add(0);
                    falseIds.Add(0);
                    missing.Add(0);
                    classTrees.Add(t);
                    classNodes.Add(ids[node]);
                    weights.Add(node.Leaf);
                }
            }
        }

        byte[][] attributes =
        [
            Ints("nodes_treeids", treeIds), Ints("nodes_nodeids", nodeIds), Ints("nodes_featureids", featureIds),
            Strings("nodes_modes", modes), Floats("nodes_values", values), Ints("nodes_truenodeids", trueIds),
            Ints("nodes_falsenodeids", falseIds), Ints("nodes_missing_value_tracks_true", missing),
            Ints("class_treeids", classTrees), Ints("class_nodeids", classNodes), Ints("class_ids", classTrees.Select(_ => 0L)),
            Floats("class_weights", weights), Text("post_transform", "LOGISTIC"), Ints("classlabels_int64s", [0, 1]),
        ];
        byte[] node = Message(o =>
        {
            o.String(1, "input");
            o.String(2, "label");
            o.String(2, "probabilities");
            o.String(3, "TreeEnsembleClassifier");
            o.String(4, "TreeEnsembleClassifier");
            foreach (byte[] attribute in attributes)
            {
                o.Sub(5, attribute);
            }

            o.String(7, "ai.onnx.ml");
        });
        byte[] graph = Message(o =>
        {
            o.Sub(1, node);
            o.String(2, "xgboost");
            o.Sub(11, Tensor("input", 1, -1, features));
            o.Sub(12, Tensor(outputName, 7, -1));
            o.Sub(12, Tensor("probabilities", 1, -1, 2));
        });
        return Message(o =>
        {
            o.Int(1, 7);
            o.String(2, "OnnxMLTools");
            o.Sub(7, graph);
            o.Sub(8, Message(s => { s.String(1, ""); s.Int(2, 12); }));
            o.Sub(8, Message(s => { s.String(1, "ai.onnx.ml"); s.Int(2, 1); }));
        });
    }

    private static void Number(Node node, Dictionary<Node, long> ids)
    {
        ids[node] = ids.Count;
        if (node.Yes is { } yes && node.No is { } no)
        {
            Number(yes, ids);
            Number(no, ids);
        }
    }

    private static byte[] Tensor(string name, int elementType, params long[] dims) => Message(o =>
    {
        o.String(1, name);
        o.Sub(2, Message(type => type.Sub(1, Message(tensor =>
        {
            tensor.Int(1, elementType);
            tensor.Sub(2, Message(shape =>
            {
                foreach (long dim in dims)
                {
                    shape.Sub(1, Message(d =>
                    {
                        if (dim < 0)
                        {
                            d.String(2, "N");
                        }
                        else
                        {
                            d.Int(1, dim);
                        }
                    }));
                }
            }));
        }))));
    });

    private static byte[] Ints(string name, IEnumerable<long> values) => Message(o =>
    {
        o.String(1, name);
        foreach (long value in values)
        {
            o.Int(8, value);
        }

        o.Int(20, 7);
    });

    private static byte[] Floats(string name, IEnumerable<float> values) => Message(o =>
    {
        o.String(1, name);
        foreach (float value in values)
        {
            o.WriteTag(7, WireFormat.WireType.Fixed32);
            o.WriteFloat(value);
        }

        o.Int(20, 6);
    });

    private static byte[] Strings(string name, IEnumerable<string> values) => Message(o =>
    {
        o.String(1, name);
        foreach (string value in values)
        {
            o.String(9, value);
        }

        o.Int(20, 8);
    });

    private static byte[] Text(string name, string value) => Message(o =>
    {
        o.String(1, name);
        o.String(4, value);
        o.Int(20, 3);
    });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            write(output);
        }

        return stream.ToArray();
    }

    private static void String(this CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    private static void Int(this CodedOutputStream output, int field, long value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt64(value);
    }

    private static void Sub(this CodedOutputStream output, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(message));
    }
}
