using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Vince.FeatureStore.Training.Diagnostics;

/// <summary>Structured log events of the trainer package. Event ids 5000–5099.</summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "Training with ML.NET FastTree from {FeaturesDirectory} into {OutputDirectory} (min samples {MinSamples})")]
    public static partial void Started(ILogger logger, string featuresDirectory, string outputDirectory, int minSamples);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Read {TotalRecords} records, {Trades} complete trades")]
    public static partial void DataRead(ILogger logger, int totalRecords, int trades);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Not enough data: {Trades} complete trades, {MinSamples} needed. Wrote metadata with no models")]
    public static partial void NotEnoughData(ILogger logger, int trades, int minSamples);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Trained {Model}: {TrainingRows} training rows, {HoldoutRows} holdout rows, {FeatureCount} features, {Metrics}; ONNX vs ML.NET max difference {MaxDifference:G3} ({Seconds:F1} s)")]
    public static partial void ModelTrained(ILogger logger, string model, int trainingRows, int holdoutRows, int featureCount, string metrics, double maxDifference, double seconds);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "Skipped {Model}: {Reason}")]
    public static partial void ModelSkipped(ILogger logger, string model, string reason);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information, Message = "Training finished: {Models} exported to {OutputDirectory} in {Seconds:F1} s")]
    public static partial void Finished(ILogger logger, string models, string outputDirectory, double seconds);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Error, Message = "Training from {FeaturesDirectory} failed")]
    public static partial void Failed(ILogger logger, Exception exception, string featuresDirectory);
}

/// <summary>
/// Instruments of the meter <c>Vince.FeatureStore.Training.Dotnet</c>, per model of a run (the runner of the hosting
/// package already counts runs): <c>vince.featurestore.training.dotnet.models</c> (tags <c>model</c>, <c>outcome</c>:
/// trained or skipped) and <c>vince.featurestore.training.dotnet.model_duration</c> (s, tag <c>model</c>).
/// </summary>
internal sealed class TrainingMetrics
{
    public const string MeterName = "Vince.FeatureStore.Training.Dotnet";

    private static TrainingMetrics? _shared;

    private TrainingMetrics(Meter meter)
    {
        Models = meter.CreateCounter<long>("vince.featurestore.training.dotnet.models", "{model}", "Models the .NET trainer trained or skipped, by model and outcome.");
        ModelDuration = meter.CreateHistogram<double>("vince.featurestore.training.dotnet.model_duration", "s", "Time to fit, export and check one model.");
    }

    public Counter<long> Models { get; }

    public Histogram<double> ModelDuration { get; }

    public void Trained(string model, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("model", model);
        Models.Add(1, tag, new KeyValuePair<string, object?>("outcome", "trained"));
        ModelDuration.Record(duration.TotalSeconds, tag);
    }

    public void Skipped(string model) => Models.Add(1, new KeyValuePair<string, object?>("model", model), new KeyValuePair<string, object?>("outcome", "skipped"));

    /// <summary>Instruments on the factory's meter (disposed with the factory), or on one process-wide meter without a factory.</summary>
    public static TrainingMetrics For(IMeterFactory? meterFactory)
        => meterFactory is not null
            ? new TrainingMetrics(meterFactory.Create(MeterName))
            : LazyInitializer.EnsureInitialized(ref _shared, () => new TrainingMetrics(new Meter(MeterName)));
}
