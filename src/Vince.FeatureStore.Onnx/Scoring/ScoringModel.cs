using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>
/// One loaded model of any kind, the single scoring core: the session, the metadata that belongs to it, the compiled
/// input columns, the scaling, the output decoding and the pooled <see cref="InferenceLane"/>s, as one immutable
/// object. Every score fills the input, runs the session through a lane's binding and decodes the output here.
/// Reference counted: the owner holds one reference while the model is current and each call one more, so a replaced
/// or disposed model releases its session only after its last call returns.
/// </summary>
internal sealed class ScoringModel
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
    private readonly ModelOutputKind _kind;
    private readonly int _column;
    private readonly double[] _classLabels;
    private readonly bool _calibrate;
    private readonly double _calibrationScale;
    private readonly double _calibrationIntercept;
    private readonly double? _threshold;
    private readonly InferenceLane?[] _lanes;
    private int _references = 1;

    public ScoringModel(
        TrainingModel model,
        InferenceSession session,
        SessionOptions sessionOptions,
        CompiledColumns columns,
        (double[] Mean, double[] InverseStd)? scaling,
        string inputName,
        long[] outputShape,
        OutputDecoding decoding,
        OnnxModelInfo info,
        ModelFiles files)
    {
        Model = model;
        _session = session;
        _sessionOptions = sessionOptions;
        _columns = columns;
        _mean = scaling?.Mean;
        _inverseStd = scaling?.InverseStd;
        _inputName = inputName;
        _inputShape = [1, columns.Count];
        _outputName = info.OutputName;
        _outputShape = outputShape;
        _kind = decoding.Kind;
        _column = decoding.Column;
        _classLabels = decoding.ClassLabels;
        _calibrate = decoding.Calibration is not null;
        _calibrationScale = decoding.Calibration?.Scale ?? 1;
        _calibrationIntercept = decoding.Calibration?.Intercept ?? 0;
        _threshold = decoding.Threshold;
        _lanes = new InferenceLane?[Math.Max(4, Environment.ProcessorCount * 2)];
        Info = info;
        Files = files with { ModelBytes = [] }; // the hash identifies the model; the bytes are not kept
    }

    /// <summary>Which model of a set this is.</summary>
    public TrainingModel Model { get; }

    public OnnxModelInfo Info { get; }

    /// <summary>The compiled input columns, in the model's order.</summary>
    public CompiledColumns Columns => _columns;

    /// <summary>How the output is decoded.</summary>
    public ModelOutputKind OutputKind => _kind;

    /// <summary>The probability threshold (signal quality), else <see langword="null"/>.</summary>
    public double? Threshold => _threshold;

    /// <summary>Whether the probability is calibrated.</summary>
    public bool IsCalibrated => _calibrate;

    /// <summary>What was read from disk, to tell whether a later change of the files changed their content.</summary>
    public ModelFiles Files { get; }

    /// <summary>Takes a reference for one call; <see langword="false"/> when the model has already been released for good.</summary>
    public bool TryAcquire()
    {
        int current = Volatile.Read(ref _references);
        while (current > 0)
        {
            int seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Drops a reference; the last one disposes the session and the buffers.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            for (int i = 0; i < _lanes.Length; i++)
            {
                Interlocked.Exchange(ref _lanes[i], null)?.Dispose();
            }

            _session.Dispose();
            _sessionOptions.Dispose();
        }
    }

    /// <summary>
    /// Scores one record; the caller holds a reference. Lags come from <paramref name="serving"/> (under its lock) when
    /// given, else from <paramref name="history"/>. Does not allocate.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="history">Earlier records the caller keeps; lags are missing without it.</param>
    /// <param name="serving">The store's serving history, which takes precedence over <paramref name="history"/>.</param>
    /// <param name="vector">Empty, or at least <see cref="CompiledColumns.Count"/> elements for the input before scaling.</param>
    /// <param name="hashInput">Whether to compute <see cref="ModelScore.InputHash"/> (0 otherwise).</param>
    public ModelScore Score(FeatureRecord record, FeatureHistory? history, ServingHistory? serving, Span<float> vector, bool hashInput)
    {
        InferenceLane lane = RentLane();
        try
        {
            float[] input = lane.Input;
            bool cold;
            if (serving is not null)
            {
                cold = serving.Fill(_columns, record, input);
            }
            else
            {
                _columns.Fill(record, history, input);
                cold = _columns.HasColdLags(record, history);
            }

            ulong hash = hashInput ? InputHash.Of(input) : 0;
            if (!vector.IsEmpty)
            {
                input.CopyTo(vector);
            }

            Scale(input);
            _session.RunWithBinding(lane.RunOptions, lane.Binding);
            double model = Decode(lane.Output);
            double value = _calibrate ? Logistic.Of((_calibrationScale * model) + _calibrationIntercept) : model;
            return new ModelScore(value, model, _threshold, cold, hash);
        }
        finally
        {
            ReturnLane(lane);
        }
    }

    /// <summary>Scores one record with the signal-quality model as <see cref="OnnxSignalQualityScorer.Score"/> returns it; the caller holds a reference.</summary>
    public SignalQualityScore ScoreSignalQuality(FeatureRecord record, FeatureHistory? history)
    {
        ModelScore score = Score(record, history, null, default, hashInput: false);
        return new SignalQualityScore(score.Value, score.ModelValue, Info.Threshold, Info.Version);
    }

    /// <summary>The input <see cref="Score"/> feeds for the record, built by the same steps, without running the model.</summary>
    public ScoringInput BuildInput(FeatureRecord record, FeatureHistory? history)
    {
        float[] values = new float[_columns.Count];
        _columns.Fill(record, history, values);
        float[] modelInput = (float[])values.Clone();
        Scale(modelInput);
        return new ScoringInput(Info, values, modelInput);
    }

    /// <summary>Creates the first lane and runs it once (the load validates that the model runs through the binding).</summary>
    public void WarmUp()
    {
        InferenceLane lane = RentLane();
        try
        {
            _session.RunWithBinding(lane.RunOptions, lane.Binding);
        }
        finally
        {
            ReturnLane(lane);
        }
    }

    /// <summary>The model's value from the output of one record: the probability column, the regression value or the best class's label.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Decode(float[] output)
    {
        if (_kind != ModelOutputKind.ClassLabel)
        {
            return output[_column];
        }

        int best = 0;
        for (int i = 1; i < _classLabels.Length; i++)
        {
            best = output[i] > output[best] ? i : best;
        }

        return _classLabels[best];
    }

    /// <summary>Standardises the filled input in place with the metadata's mean/std, when it has them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Scale(Span<float> input)
    {
        if (_mean is { } mean)
        {
            double[] inverseStd = _inverseStd!;
            for (int i = 0; i < input.Length; i++)
            {
                input[i] = (float)((input[i] - mean[i]) * inverseStd[i]);
            }
        }
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
            if (Volatile.Read(ref lanes[slot]) is null && Interlocked.CompareExchange(ref lanes[slot], lane, null) is null)
            {
                return;
            }
        }

        lane.Dispose();
    }
}
