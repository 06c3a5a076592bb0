using Microsoft.ML.OnnxRuntime;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>
/// One loaded model: the session, the metadata that belongs to it and the compiled input columns, swapped as
/// one immutable object. Reference counted: the scorer holds one reference while the model is current and each
/// <see cref="Score"/> call one more, so a replaced model is disposed only after its last call returns.
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
    private readonly int _column;
    private readonly bool _calibrate;
    private readonly double _calibrationScale;
    private readonly double _calibrationIntercept;
    private readonly double _threshold;
    private readonly InferenceLane?[] _lanes;
    private int _references = 1;

    public ScoringModel(
        InferenceSession session,
        SessionOptions sessionOptions,
        CompiledColumns columns,
        (double[] Mean, double[] InverseStd)? scaling,
        string inputName,
        string outputName,
        long[] outputShape,
        int column,
        OnnxModelInfo info,
        ModelFiles files)
    {
        _session = session;
        _sessionOptions = sessionOptions;
        _columns = columns;
        _mean = scaling?.Mean;
        _inverseStd = scaling?.InverseStd;
        _inputName = inputName;
        _inputShape = [1, columns.Count];
        _outputName = outputName;
        _outputShape = outputShape;
        _column = column;
        _calibrate = info.Calibration is not null;
        _calibrationScale = info.Calibration?.Scale ?? 1;
        _calibrationIntercept = info.Calibration?.Intercept ?? 0;
        _threshold = info.Threshold;
        _lanes = new InferenceLane?[Math.Max(4, Environment.ProcessorCount * 2)];
        Info = info;
        Files = files with { ModelBytes = [] }; // the hash identifies the model; the bytes are not kept
    }

    public OnnxModelInfo Info { get; }

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

    /// <summary>Scores one record; the caller holds a reference.</summary>
    public SignalQualityScore Score(FeatureRecord record, FeatureHistory? history)
    {
        InferenceLane lane = RentLane();
        try
        {
            Span<float> input = lane.Input;
            _columns.Fill(record, history, input);
            Scale(input);
            _session.RunWithBinding(lane.RunOptions, lane.Binding);
            double probability = lane.Output[_column];
            double calibrated = _calibrate ? Logistic.Of((_calibrationScale * probability) + _calibrationIntercept) : probability;
            return new SignalQualityScore(calibrated, probability, _threshold, Info.Version);
        }
        finally
        {
            ReturnLane(lane);
        }
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

    /// <summary>Standardises the filled input in place with the metadata's mean/std, when it has them.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
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

    /// <summary>Creates the first lane (the load validates that the model runs through the binding).</summary>
    public void WarmUp() => ReturnLane(RentLane());

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
