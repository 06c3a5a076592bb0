using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Drift;
using Vince.FeatureStore.Onnx.Diagnostics;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// The train-when-ready loop: at start-up and then every <see cref="TrainingWhenReadyOptions.CheckInterval"/>, counts the
/// complete trades and, when there are enough and the last successful training (<c>last_train_at.txt</c>) is old enough,
/// runs the <see cref="ModelTrainingRunner"/>.
/// </summary>
internal sealed class TrainingWhenReadyService : BackgroundService
{
    private readonly IServiceProvider _services;
    private readonly TrainingWhenReadyOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private ModelTrainingRunner? _runner;
    private IFeatureQuery? _counter;
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
        _counter = _services.GetService<IFeatureQuery>()
            // The bot's own trades, as a Postgres count would see them: synthetic files do not make a training due.
            ?? new FeatureLogReader(_runner.FeaturesDirectory, new FeatureLogReaderOptions { RealOnly = true }, _services.GetService<ILogger<FeatureLogReader>>());
        string source = _counter is FeatureLogReader reader ? $"the JSONL log in {Path.GetFullPath(reader.DataDirectory)}" : _counter.GetType().Name;
        TrainingLog.ServiceStarted(_logger, _options.CheckInterval, _options.MinSamples, source, _options.MinTimeBetweenTrainings, _runner.Trainer.Name, _runner.ModelsDirectory);
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
        int count = await _counter!.CountCompleteAsync(cancellationToken).ConfigureAwait(false);
        if (count < _options.MinSamples)
        {
            TrainingLog.NotReady(_logger, count, _options.MinSamples);
            return;
        }

        DateTimeOffset now = _timeProvider.GetUtcNow();
        DateTimeOffset? last = null;
        try
        {
            last = LastTrainAt.Read(runner.ModelsDirectory);
        }
        catch (FormatException ex)
        {
            TrainingLog.LastTrainAtIgnored(_logger, ex.Message);
        }

        if (last is { } lastTrainAt)
        {
            if (lastTrainAt > now + TimeSpan.FromMinutes(5))
            {
                // A time in the future (a clock set wrong once) would block training for as long: ignore it.
                TrainingLog.LastTrainAtIgnored(_logger, $"{LastTrainAt.FileName} says {lastTrainAt:O}, later than now ({now:O}).");
            }
            else if (now - lastTrainAt < _options.MinTimeBetweenTrainings)
            {
                TrainingLog.NotDue(_logger, count, lastTrainAt, lastTrainAt + _options.MinTimeBetweenTrainings);
                return;
            }
        }

        if (_options.RetrainOnDrift && last is not null && !await HasDriftedAsync(runner, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        TrainingsStarted++;
        await runner.RunOnceAsync(cancellationToken).ConfigureAwait(false);
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
        FeatureDriftReport report = await FeatureDriftAnalyzer.AnalyzeAsync(bins, FeatureDriftAnalyzer.ReadLog(runner.FeaturesDirectory, cancellationToken), settings, cancellationToken).ConfigureAwait(false);
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
