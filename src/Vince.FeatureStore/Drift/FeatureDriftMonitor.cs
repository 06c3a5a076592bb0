using System.Diagnostics.Metrics;

namespace Vince.FeatureStore.Drift;

/// <summary>
/// The drift of the live records against the installed model set, computed at most once per interval (it reads the
/// log) and published as the gauge <c>vince.featurestore.drift.psi</c> per column. Shared by the drift health check's runs.
/// </summary>
internal sealed class FeatureDriftMonitor : IDisposable
{
    /// <summary>The meter of the drift gauge.</summary>
    public const string MeterName = "Vince.FeatureStore.Drift";

    private readonly string _modelsDirectory;
    private readonly string _dataDirectory;
    private readonly FeatureDriftSettings _settings;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile FeatureDriftCheck? _last;
    private DateTimeOffset _lastAt;

    public FeatureDriftMonitor(string modelsDirectory, string dataDirectory, FeatureDriftSettings settings, TimeSpan interval, IMeterFactory? meterFactory, TimeProvider? time)
    {
        _modelsDirectory = Path.GetFullPath(modelsDirectory);
        _dataDirectory = Path.GetFullPath(dataDirectory);
        _settings = settings;
        _interval = interval;
        _time = time ?? TimeProvider.System;
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(MeterName);
        }
        else
        {
            _meter = new Meter(MeterName);
            _ownsMeter = true;
        }

        _meter.CreateObservableGauge("vince.featurestore.drift.psi", Observe, "1", "Population stability index of each model input column: the recent records against the training bins.");
    }

    public string ModelsDirectory => _modelsDirectory;

    /// <summary>The latest check, computed again when it is older than the interval.</summary>
    public async Task<FeatureDriftCheck> CheckAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (_last is { } last && now - _lastAt < _interval)
            {
                return last;
            }

            FeatureDriftCheck check;
            if (FeatureBins.TryLoad(_modelsDirectory) is not { } bins)
            {
                check = new FeatureDriftCheck(null, $"The model set in {_modelsDirectory} has no {FeatureBins.FileName} (train it with the .NET trainer): drift cannot be measured.");
            }
            else
            {
                FeatureDriftReport report = await FeatureDriftAnalyzer.AnalyzeAsync(bins, FeatureDriftAnalyzer.ReadLog(_dataDirectory, cancellationToken), _settings, cancellationToken).ConfigureAwait(false);
                check = new FeatureDriftCheck(report, report.Describe());
            }

            (_last, _lastAt) = (check, now);
            return check;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    private IEnumerable<Measurement<double>> Observe()
    {
        if (_last?.Report is not { HasVerdict: true } report)
        {
            yield break;
        }

        foreach (ColumnDrift column in report.Columns)
        {
            yield return new Measurement<double>(column.Psi, new KeyValuePair<string, object?>("column", column.Name));
        }
    }
}

/// <summary>One drift check: the report, or why there is none, and the line that describes it.</summary>
internal sealed record FeatureDriftCheck(FeatureDriftReport? Report, string Description);
