using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Drift;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Diagnostics;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// The train-when-ready loop: at start-up and then every <see cref="TrainingWhenReadyOptions.CheckInterval"/>, counts the
/// complete trades and, when there are enough and the last training (the local <c>last_train_at.txt</c> or the newest run in
/// the registry) is old enough — or, inside that time, the recent win rate has dropped below the early-retrain threshold —
/// runs the <see cref="ModelTrainingRunner"/>.
/// </summary>
internal sealed class TrainingWhenReadyService : BackgroundService
{
    private readonly IServiceProvider _services;
    private readonly TrainingWhenReadyOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private ModelTrainingRunner? _runner;
    private long _checksCompleted;

    public TrainingWhenReadyService(IServiceProvider services, IOptions<TrainingWhenReadyOptions> options)
    {
        _services = services;
        _options = options.Value;
        _logger = services.GetService<ILoggerFactory>()?.CreateLogger<TrainingWhenReadyService>() ?? (ILogger)NullLogger.Instance;
        _timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
    }

    /// <summary>Checks finished so far (for tests).</summary>
    internal long ChecksCompleted => Interlocked.Read(ref _checksCompleted);

    /// <summary>Trainings started by this service so far (for tests).</summary>
    internal int TrainingsStarted { get; private set; }

    /// <summary>When each check started, on the service's clock (for tests).</summary>
    internal List<DateTimeOffset> CheckTimes { get; } = [];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Created here, not in the loop, so a trainer that cannot be created stops the start with its error.
        _runner = _services.GetRequiredService<ModelTrainingRunner>();
        TrainingLog.ServiceStarted(_logger, _options.CheckInterval, _options.MinSamples, _runner.Source.Description, _options.MinTimeBetweenTrainings, _runner.Trainer.Name, _runner.ModelsDirectory);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        DateTimeOffset next = _timeProvider.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            // Due times are absolute, so a check that took long (a training) does not push the schedule back.
            TimeSpan wait = next - _timeProvider.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _timeProvider, stoppingToken).ConfigureAwait(false);
                }

                DateTimeOffset started = _timeProvider.GetUtcNow();
                next = started + _options.CheckInterval;
                lock (CheckTimes)
                {
                    CheckTimes.Add(started);
                }

                await CheckAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                TrainingLog.CheckFailed(_logger, ex, _options.CheckInterval);
            }

            Interlocked.Increment(ref _checksCompleted);
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        ModelTrainingRunner runner = _runner!;
        // Counted where the runner trains from, so "enough trades" means enough in what the trainer will read.
        int count = await runner.Source.Query.CountCompleteAsync(cancellationToken).ConfigureAwait(false);
        if (count < _options.MinSamples)
        {
            TrainingLog.NotReady(_logger, count, _options.MinSamples);
            return;
        }

        DateTimeOffset now = _timeProvider.GetUtcNow();
        DateTimeOffset? last = await LastTrainingAsync(runner, cancellationToken).ConfigureAwait(false);
        if (last is { } lastTrainAt)
        {
            if (lastTrainAt > now + TimeSpan.FromMinutes(5))
            {
                // A time in the future (a clock set wrong once) would block training for as long: ignore it.
                TrainingLog.LastTrainAtIgnored(_logger, $"the last training time says {lastTrainAt:O}, later than now ({now:O}).");
            }
            else if (now - lastTrainAt < _options.MinTimeBetweenTrainings)
            {
                if (await RecentWinRateAsync(now, cancellationToken).ConfigureAwait(false) is not (double rate, int trades) || rate >= _options.EarlyRetrainWinRate)
                {
                    TrainingLog.NotDue(_logger, count, lastTrainAt, lastTrainAt + _options.MinTimeBetweenTrainings);
                    return;
                }

                TrainingLog.EarlyRetrain(_logger, trades, _options.EarlyRetrainWindow, rate, _options.EarlyRetrainWinRate, lastTrainAt);
            }
        }

        if (_options.RetrainOnDrift && last is not null && !await HasDriftedAsync(runner, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        TrainingsStarted++;
        await runner.RunOnceAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The newest of the local <c>last_train_at.txt</c> and the registry's newest run (published or rejected).</summary>
    private async Task<DateTimeOffset?> LastTrainingAsync(ModelTrainingRunner runner, CancellationToken cancellationToken)
    {
        DateTimeOffset? local = null;
        try
        {
            local = LastTrainAt.Read(runner.ModelsDirectory);
        }
        catch (FormatException ex)
        {
            TrainingLog.LastTrainAtIgnored(_logger, ex.Message);
        }

        DateTimeOffset? remote = null;
        if (runner.Bucket is { } bucket)
        {
            try
            {
                remote = await bucket.GetLastTrainingTimeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                TrainingLog.RegistryLastTrainingFailed(_logger, ex, bucket.Name, LastTrainAt.FileName);
            }
        }

        return local is null ? remote : remote is null ? local : local > remote ? local : remote;
    }

    /// <summary>
    /// The win rate of the newest <see cref="TrainingWhenReadyOptions.EarlyRetrainRecentTrades"/> complete trades decided within
    /// <see cref="TrainingWhenReadyOptions.EarlyRetrainWindow"/>, or <see langword="null"/> when the early retrain is off or
    /// fewer than <see cref="TrainingWhenReadyOptions.EarlyRetrainMinTrades"/> such trades exist.
    /// </summary>
    private async Task<(double Rate, int Trades)?> RecentWinRateAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_options.EarlyRetrainWinRate <= 0)
        {
            return null;
        }

        var recent = new Queue<bool>(_options.EarlyRetrainRecentTrades + 1);
        var query = new FeatureQuery { CompleteOnly = true, From = now - _options.EarlyRetrainWindow };
        await foreach (FeatureRecord record in _runner!.Source.Query.ReadRecordsAsync(query, cancellationToken).ConfigureAwait(false))
        {
            // Decision-time order: the queue ends up holding the newest trades.
            recent.Enqueue(TrainingModels.LabelOf(TrainingModel.SignalQuality, record) is > 0.5);
            if (recent.Count > _options.EarlyRetrainRecentTrades)
            {
                recent.Dequeue();
            }
        }

        return recent.Count < _options.EarlyRetrainMinTrades ? null : (recent.Count(w => w) / (double)recent.Count, recent.Count);
    }

    /// <summary>Whether the live records drifted from the installed set's bins; true (train on time) when the set has none.</summary>
    private async Task<bool> HasDriftedAsync(ModelTrainingRunner runner, CancellationToken cancellationToken)
    {
        if (FeatureBins.TryLoad(runner.ModelsDirectory) is not { } bins)
        {
            TrainingLog.DriftUnavailable(_logger, runner.ModelsDirectory);
            return true;
        }

        var settings = new FeatureDriftSettings { Threshold = _options.DriftThreshold, RecentRecords = _options.DriftRecentRecords };
        FeatureDriftReport report = await FeatureDriftAnalyzer.AnalyzeAsync(bins, runner.Source.Query.ReadRecordsAsync(cancellationToken: cancellationToken), settings, cancellationToken).ConfigureAwait(false);
        string description = report.Describe();
        if (report.Alarms.Count == 0)
        {
            TrainingLog.NoDrift(_logger, description);
            return false;
        }

        TrainingLog.DriftTriggered(_logger, description);
        return true;
    }
}
