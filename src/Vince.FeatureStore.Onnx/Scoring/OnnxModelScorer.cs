using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Model;
using Vince.FeatureStore.Onnx.Scoring;

namespace Vince.FeatureStore.Onnx;

/// <summary>
/// Scores decisions with one model of a trained set — <c>signal_quality</c>, <c>position_sizing</c>, <c>tp_optimizer</c>
/// or <c>sl_optimizer</c> — built from that model's own column list and decoded as the trainer wrote it: the
/// probability of class 1 with the metadata's Platt calibration and threshold (signal quality), the regression value
/// (position sizing's r-multiple, the SL quantile), or the class label with the highest probability (the TP level).
/// </summary>
/// <remarks>
/// <para>The column list is <c>model_inputs.&lt;name&gt;.features</c> of <c>training_metadata.json</c>, else (signal quality)
/// <c>signal_quality_feature_names</c>, else <c>&lt;name&gt;_features.json</c>. A list naming a column the flattener does not
/// know is refused at load (it would be fed 0 for ever), as is a model whose input width differs from it.</para>
/// <para>Thread-safe; <see cref="Score(FeatureRecord, ServingHistory)"/> allocates nothing: each concurrent call uses
/// pooled buffers bound to the session once. No file watching: load a new scorer for a new set.</para>
/// </remarks>
public sealed class OnnxModelScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly CompiledColumns _columns;
    private readonly double[]? _mean;
    private readonly double[]? _inverseStd;
    private readonly string _inputName;
    private readonly long[] _inputShape;
    private readonly string _outputName;
    private readonly long[] _outputShape;
    private readonly int _column;
    private readonly double[] _classLabels;
    private readonly PlattCalibration? _calibration;
    private readonly InferenceLane?[] _lanes;
    private volatile bool _disposed;

    private OnnxModelScorer(
        TrainingModel model,
        string modelPath,
        string sha256,
        InferenceSession session,
        SessionOptions sessionOptions,
        CompiledColumns columns,
        string columnsSource,
        (double[] Mean, double[] InverseStd)? scaling,
        string inputName,
        (string Name, long[] Shape, int Column) output,
        ModelOutputKind kind,
        double[] classLabels,
        PlattCalibration? calibration,
        double? threshold)
    {
        Model = model;
        ModelPath = modelPath;
        ModelSha256 = sha256;
        _session = session;
        _sessionOptions = sessionOptions;
        _columns = columns;
        ColumnsSource = columnsSource;
        _mean = scaling?.Mean;
        _inverseStd = scaling?.InverseStd;
        _inputName = inputName;
        _inputShape = [1, columns.Count];
        (_outputName, _outputShape, _column) = output;
        OutputKind = kind;
        _classLabels = classLabels;
        _calibration = calibration;
        Threshold = threshold;
        _lanes = new InferenceLane?[Math.Max(4, Environment.ProcessorCount * 2)];
    }

    /// <summary>Which model this is.</summary>
    public TrainingModel Model { get; }

    /// <summary>The model's name in the set (<c>signal_quality</c> …), as <c>ml.&lt;name&gt;</c> of a served score names it.</summary>
    public string Name => TrainingModels.Name(Model);

    /// <summary>The ONNX file (absolute).</summary>
    public string ModelPath { get; }

    /// <summary>SHA-256 of the ONNX file as read, lower-case hex: which model served a score.</summary>
    public string ModelSha256 { get; }

    /// <summary>The input columns, in the model's order.</summary>
    public IReadOnlyList<string> FeatureNames => _columns.Names;

    /// <summary>Where the column list was read from.</summary>
    public string ColumnsSource { get; }

    /// <summary>How the output is decoded.</summary>
    public ModelOutputKind OutputKind { get; }

    /// <summary>The probability threshold (signal quality), else <see langword="null"/>.</summary>
    public double? Threshold { get; }

    /// <summary>Whether the model's columns read the history (lag columns).</summary>
    public bool ReadsHistory => _columns.ReadsHistory;

    /// <summary>Whether outputs are calibrated (signal quality with a calibration in the metadata).</summary>
    public bool IsCalibrated => _calibration is not null;

    /// <summary>Loads <paramref name="model"/> from the set in <paramref name="modelsDirectory"/>.</summary>
    /// <param name="modelsDirectory">The directory a trainer wrote (<c>&lt;name&gt;.onnx</c>, <c>training_metadata.json</c>, <c>&lt;name&gt;_features.json</c>).</param>
    /// <param name="model">Which model.</param>
    /// <param name="options">Session and threshold settings (<see cref="OnnxScoringOptions.Threshold"/>, <see cref="OnnxScoringOptions.VerifyModelHash"/>,
    /// <see cref="OnnxScoringOptions.IntraOpNumThreads"/>); the defaults when <see langword="null"/>.</param>
    /// <returns>The scorer, warmed up.</returns>
    /// <exception cref="OnnxModelLoadException">The files cannot be used; the message names the file and the problem.</exception>
    public static OnnxModelScorer Load(string modelsDirectory, TrainingModel model, OnnxScoringOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        options ??= new OnnxScoringOptions();
        string directory = Path.GetFullPath(modelsDirectory);
        string name = TrainingModels.Name(model);
        string modelPath = Path.Combine(directory, name + ".onnx");
        string metadataPath = Path.Combine(directory, TrainingMetadata.FileName);
        if (!File.Exists(modelPath))
        {
            throw new OnnxModelLoadException(modelPath, $"{modelPath} does not exist.");
        }

        byte[] bytes = File.ReadAllBytes(modelPath);
        string sha256 = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        TrainingMetadata? metadata = null;
        if (File.Exists(metadataPath))
        {
            try
            {
                metadata = TrainingMetadata.Load(metadataPath);
            }
            catch (JsonException ex)
            {
                throw new OnnxModelLoadException(metadataPath, $"{metadataPath} is not valid JSON: {ex.Message}", ex);
            }
        }

        if (options.VerifyModelHash && metadata?.HashOf(name) is { } expected && expected != sha256)
        {
            throw new OnnxModelLoadException(modelPath,
                $"{modelPath} (SHA-256 {sha256}) does not match onnx_hashes.{name} ({expected}) in {metadataPath}: the files come from different trainings.");
        }

        ModelInputs inputs = ModelInputs.Read(directory, model, metadata);
        if (inputs.Columns.Where(c => !FeatureFlattener.IsKnownColumn(c)).ToList() is { Count: > 0 } unknown)
        {
            throw new OnnxModelLoadException(inputs.Source,
                $"{inputs.Source} names {unknown.Count} column(s) of {name} that the flattener does not produce ({string.Join(", ", unknown)}): " +
                "they would be fed 0 on every score. Retrain with this library's flattener, or fix the column list.");
        }

        PreparedModel prepared = OnnxModelPreparer.Prepare(bytes, modelPath);
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpNumThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        InferenceSession? session = null;
        try
        {
            try
            {
                session = new InferenceSession(prepared.Bytes, sessionOptions);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new OnnxModelLoadException(modelPath, $"ONNX Runtime cannot load {modelPath}: {ex.Message}", ex);
            }

            string inputName = ScoringModelLoader.CheckInput(session, inputs.Columns.Count, modelPath, inputs.Source);
            (string Name, long[] Shape, int Column) output = ScoringModelLoader.SelectOutput(session, prepared.Hints, inputName, inputs.Columns.Count, modelPath);
            long width = output.Shape.Length == 2 ? output.Shape[1] : 1;
            (ModelOutputKind kind, double[] labels) = model switch
            {
                TrainingModel.SignalQuality => (ModelOutputKind.Probability, []),
                TrainingModel.TpOptimizer when width >= 2 => (ModelOutputKind.ClassLabel, ClassLabels(inputs, prepared.Hints, output.Name, (int)width, modelPath)),
                _ when width == 1 => (ModelOutputKind.Regression, []),
                _ => throw new OnnxModelLoadException(modelPath, $"The output '{output.Name}' of {modelPath} has {width} columns; {name} is read as one regression value."),
            };
            bool quality = model == TrainingModel.SignalQuality;
            double? threshold = quality
                ? options.Threshold ?? metadata?.ImprovementReport?.SuggestedSignalQualityThreshold ?? OnnxScoringOptions.DefaultThreshold
                : null;
            var scorer = new OnnxModelScorer(
                model, modelPath, sha256, session, sessionOptions, FeatureFlattener.Compile(inputs.Columns), inputs.Source,
                quality ? ScoringModelLoader.Scaling(inputs.Columns, metadata?.SignalQualityScaling, out _) : null,
                inputName, output, kind, labels, quality ? metadata?.ImprovementReport?.SignalQualityCalibration : null, threshold);
            try
            {
                scorer.ReturnLane(scorer.RentLane());
            }
            catch (OnnxRuntimeException ex)
            {
                scorer.Dispose();
                session = null;
                throw new OnnxModelLoadException(modelPath, $"{modelPath} fails to run with a {inputs.Columns.Count}-feature input: {ex.Message}", ex);
            }

            return scorer;
        }
        catch
        {
            session?.Dispose();
            sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>Scores <paramref name="record"/> with lags from the store's serving history. Does not allocate.</summary>
    /// <param name="record">The decision (not yet recorded: it is not in the history).</param>
    /// <param name="history">The store's <see cref="FeatureStore.History"/>.</param>
    /// <returns>The score.</returns>
    public ModelScore Score(FeatureRecord record, ServingHistory history) => Score(record, history, []);

    /// <summary>Scores <paramref name="record"/> and copies the named input vector (in <see cref="FeatureNames"/> order, before scaling) into <paramref name="vector"/>.</summary>
    /// <param name="record">The decision.</param>
    /// <param name="history">The store's serving history.</param>
    /// <param name="vector">Empty, or at least <see cref="FeatureNames"/>.Count elements.</param>
    /// <returns>The score.</returns>
    public ModelScore Score(FeatureRecord record, ServingHistory history, Span<float> vector)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(history);
        ObjectDisposedException.ThrowIf(_disposed, this);
        InferenceLane lane = RentLane();
        try
        {
            Span<float> input = lane.Input;
            bool cold = history.Fill(_columns, record, input);
            return Run(lane, cold, vector);
        }
        finally
        {
            ReturnLane(lane);
        }
    }

    /// <summary>Scores <paramref name="record"/> with lags from a history the caller keeps (e.g. a replay of the log). Does not allocate.</summary>
    /// <param name="record">The record.</param>
    /// <param name="history">Earlier records; lags are missing (0) without it.</param>
    /// <param name="vector">Empty, or at least <see cref="FeatureNames"/>.Count elements for the input vector.</param>
    /// <returns>The score.</returns>
    public ModelScore Score(FeatureRecord record, FeatureHistory? history, Span<float> vector = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_disposed, this);
        InferenceLane lane = RentLane();
        try
        {
            _columns.Fill(record, history, lane.Input);
            return Run(lane, _columns.HasColdLags(record, history), vector);
        }
        finally
        {
            ReturnLane(lane);
        }
    }

    private ModelScore Run(InferenceLane lane, bool cold, Span<float> vector)
    {
        Span<float> input = lane.Input;
        ulong hash = InputHash.Of(input);
        if (!vector.IsEmpty)
        {
            input.CopyTo(vector);
        }

        if (_mean is { } mean)
        {
            double[] inverseStd = _inverseStd!;
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = (float)((input[i] - mean[i]) * inverseStd[i]);
            }
        }

        _session.RunWithBinding(lane.RunOptions, lane.Binding);
        float[] output = lane.Output;
        double model;
        double value;
        switch (OutputKind)
        {
            case ModelOutputKind.Probability:
                model = output[_column];
                value = _calibration is { } c ? Logistic.Of((c.Scale * model) + c.Intercept) : model;
                break;
            case ModelOutputKind.ClassLabel:
                int best = 0;
                for (int i = 1; i < _classLabels.Length; i++)
                {
                    best = output[i] > output[best] ? i : best;
                }

                model = value = _classLabels[best];
                break;
            default:
                model = value = output[0];
                break;
        }

        return new ModelScore(value, model, Threshold, cold, hash);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (int i = 0; i < _lanes.Length; i++)
        {
            Interlocked.Exchange(ref _lanes[i], null)?.Dispose();
        }

        _session.Dispose();
        _sessionOptions.Dispose();
    }

    private static double[] ClassLabels(ModelInputs inputs, IReadOnlyDictionary<string, OutputHint> hints, string output, int width, string modelPath)
    {
        // The metadata's class_labels (the .NET trainer), else the classifier's own labels, else the column index.
        if (inputs.ClassLabels is { } fromMetadata)
        {
            return fromMetadata.Count == width
                ? [.. fromMetadata]
                : throw new OnnxModelLoadException(inputs.Source, $"{inputs.Source} lists {fromMetadata.Count} class_labels for {modelPath}, whose output has {width} columns.");
        }

        if (hints.TryGetValue(output, out OutputHint hint) && hint.Labels is { } labels && labels.Count == width
            && labels.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
        {
            return labels.Select(l => double.Parse(l, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        }

        return Enumerable.Range(0, width).Select(i => (double)i).ToArray();
    }

    private InferenceLane RentLane()
    {
        InferenceLane?[] lanes = _lanes;
        int start = Environment.CurrentManagedThreadId % lanes.Length;
        for (int i = 0; i < lanes.Length; i++)
        {
            int slot = (start + i) % lanes.Length;
            if (Volatile.Read(ref lanes[slot]) is not null && Interlocked.Exchange(ref lanes[slot], null) is { } lane)
            {
                return lane;
            }
        }

        return new InferenceLane(_session, _inputName, _inputShape, _outputName, _outputShape);
    }

    private void ReturnLane(InferenceLane lane)
    {
        InferenceLane?[] lanes = _lanes;
        int start = Environment.CurrentManagedThreadId % lanes.Length;
        for (int i = 0; i < lanes.Length; i++)
        {
            int slot = (start + i) % lanes.Length;
            if (!_disposed && Volatile.Read(ref lanes[slot]) is null && Interlocked.CompareExchange(ref lanes[slot], lane, null) is null)
            {
                return;
            }
        }

        lane.Dispose();
    }
}
