using System.Globalization;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Jsonl;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Onnx.Model;
using Vince.FeatureStore.Onnx.Scoring;
using Vince.FeatureStore.Training;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// <see cref="OnnxModelScorer.Score(FeatureRecord, ServingHistory)"/> for each of the four models of a set the .NET
/// trainer wrote (default settings: 100 trees × 16 leaves; the take-profit classifier and the regressions as exported),
/// against a raw <see cref="InferenceSession"/> run of the same model file on a prebuilt input: the baseline
/// <see cref="RawRun"/> passes preallocated input and output <see cref="OrtValue"/>s, <see cref="RawRunWithBinding"/>
/// (the floor) a prebuilt IO binding.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class OnnxModelSetBenchmarks
{
    private string _root = "";
    private OnnxModelScorer _scorer = null!;
    private ServingHistory _history = null!;
    private FeatureRecord[] _records = [];
    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private float[] _input = [];
    private float[][] _vectors = [];
    private float[] _scratch = [];
    private CompiledColumns _columns = null!;
    private float[] _output = [];
    private OrtValue _inputValue = null!;
    private OrtValue _outputValue = null!;
    private OrtValue[] _inputValues = [];
    private OrtValue[] _outputValues = [];
    private string[] _inputNames = [];
    private string[] _outputNames = [];
    private OrtIoBinding _binding = null!;
    private int _next;

    [Params(TrainingModel.SignalQuality, TrainingModel.PositionSizing, TrainingModel.TpOptimizer, TrainingModel.SlOptimizer)]
    public TrainingModel Model { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _root = Path.Combine(Path.GetTempPath(), "vince-fs-bench-modelset-" + Guid.NewGuid().ToString("N"));
        string data = Path.Combine(_root, "features");
        string models = Path.Combine(_root, "models");
        Directory.CreateDirectory(data);
        using (var log = new JsonlFeatureLog(data, recordsPerFile: 1000, fsync: false, TimeProvider.System))
        {
            log.Append(SampleRecords.Create(1_000), static (record, error) => throw new InvalidOperationException(record.Id, error));
        }

        DotnetTrainingReport report = new DotnetModelTrainer()
            .TrainWithReportAsync(new ModelTrainingRequest { FeaturesDirectory = data, OutputDirectory = models })
            .GetAwaiter().GetResult();
        if (report.Models.Count != 4)
        {
            throw new InvalidOperationException($"Trained {report.Models.Count} models: {report.Log}");
        }

        _scorer = OnnxModelScorer.Load(models, Model);
        _history = new ServingHistory();
        var localHistory = new FeatureHistory();
        foreach (FeatureRecord record in SampleRecords.Create(16, seed: 7))
        {
            _history.Add(record);
            localHistory.Add(record);
        }

        // The raw runs feed the very vectors the scorer builds for its 64 records (tree paths, so run times, depend on the input).
        _records = SampleRecords.Create(64, seed: 11);
        _columns = FeatureFlattener.Compile(_scorer.FeatureNames);
        _vectors = _records.Select(r =>
        {
            float[] v = new float[_columns.Count];
            _columns.Fill(r, localHistory, v);
            return v;
        }).ToArray();
        _scratch = new float[_columns.Count];

        // The raw session runs the same file (as the scorer prepares it) with the scorer's settings, reading the output the scorer reads.
        string modelPath = Path.Combine(models, TrainingModels.Name(Model) + ".onnx");
        ScoringModel loaded = ScoringModelLoader.Build(models, Model, new OnnxScoringOptions());
        string inputName = loaded.Info.InputName;
        string outputName = loaded.Info.OutputName;
        loaded.Release();
        var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(OnnxModelPreparer.Prepare(File.ReadAllBytes(modelPath), modelPath).Bytes, sessionOptions);
        _runOptions = new RunOptions();
        _input = GC.AllocateArray<float>(_columns.Count, pinned: true);
        _vectors[0].CopyTo(_input);
        _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, _input.Length]);
        long[] outputShape;
        using (IDisposableReadOnlyCollection<OrtValue> probe = _session.Run(_runOptions, [inputName], [_inputValue], [outputName]))
        {
            outputShape = probe[0].GetTensorTypeAndShape().Shape;
        }

        _output = GC.AllocateArray<float>(checked((int)outputShape.Aggregate(1L, (a, b) => a * b)), pinned: true);
        _outputValue = OrtValue.CreateTensorValueFromMemory(_output, outputShape);
        (_inputNames, _inputValues, _outputNames, _outputValues) = ([inputName], [_inputValue], [outputName], [_outputValue]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(inputName, _inputValue);
        _binding.BindOutput(outputName, _outputValue);

        // Output check: the raw run and the scorer compute the same value for the same record and history.
        _next = 0;
        RawRun();
        ModelScore score = _scorer.Score(_records[0], _history);
        double raw = _scorer.OutputKind == ModelOutputKind.ClassLabel ? double.NaN : _output[_output.Length - 1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// Output check {Model}: {_scorer.FeatureNames.Count} inputs, output '{outputName}' [{string.Join(", ", outputShape)}] raw [{string.Join(", ", _output)}], scorer {_scorer.OutputKind} {score.ModelValue:R}"));
        if (_scorer.OutputKind != ModelOutputKind.ClassLabel && Math.Abs(raw - score.ModelValue) > 1e-6)
        {
            throw new InvalidOperationException("The scorer and the raw session disagree.");
        }

        for (int i = 0; i < 20_000; i++)
        {
            RawRun();
        }

        Console.WriteLine($"// Caller-thread allocations per OnnxModelScorer.Score ({Model}): {CallerAllocations.PerCall(() => Score())} B");
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _scorer.Dispose();
        _binding.Dispose();
        _inputValue.Dispose();
        _outputValue.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The baseline: <c>Run</c> with preallocated input and output values (names marshalled on each call); the input is overwritten with the next record's vector.</summary>
    [Benchmark(Baseline = true)]
    public float RawRun()
    {
        _vectors[_next++ & 63].CopyTo(_input);
        _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
        return _output[0];
    }

    /// <summary>The floor: the same session through a prebuilt IO binding, nothing else.</summary>
    [Benchmark]
    public float RawRunWithBinding()
    {
        _vectors[_next++ & 63].CopyTo(_input);
        _session.RunWithBinding(_runOptions, _binding);
        return _output[0];
    }

    /// <summary>The scorer end to end: fill the model's columns (lags from the locked serving history), hash the input, run, decode.</summary>
    /// <summary>What the scorer adds before the run, part 1: the columns filled from the locked serving history.</summary>
    [Benchmark]
    public bool Fill() => _history.Fill(_columns, _records[_next++ & 63], _scratch);

    /// <summary>Part 2: the FNV-1a 64 (word-wise) input hash of the served record, over the filled vector.</summary>
    [Benchmark]
    public ulong Hash() => InputHash.Of(_vectors[_next++ & 63]);

    [Benchmark]
    public double Score() => _scorer.Score(_records[_next++ & 63], _history).Value;
}
