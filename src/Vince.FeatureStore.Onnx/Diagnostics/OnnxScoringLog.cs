using Microsoft.Extensions.Logging;

namespace Vince.FeatureStore.Onnx.Diagnostics;

/// <summary>Structured log events of the ONNX scoring package. Event ids 3000–3099.</summary>
internal static partial class OnnxScoringLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Loaded signal-quality model v{Version} from {ModelFile}: {FeatureCount} features (names from {NamesSource}), output '{Output}' column {Column}, threshold {Threshold} ({ThresholdSource}), calibration {Calibration}, {ScaledColumns} standardised column(s)")]
    public static partial void ModelLoaded(ILogger logger, long version, string modelFile, int featureCount, string namesSource, string output, int column, double threshold, ThresholdSource thresholdSource, string calibration, int scaledColumns);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Repaired {ModelFile} at load: {Repair}")]
    public static partial void ModelRepaired(ILogger logger, string modelFile, string repair);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "{Count} feature name(s) of {NamesSource} are produced by no flattening rule and are fed 0: {Names}")]
    public static partial void UnknownFeatureNames(ILogger logger, int count, string namesSource, string names);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "No signal-quality model: {ModelFile} does not exist. Score returns 'no model' until a training writes one")]
    public static partial void NoModel(ILogger logger, string modelFile);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Reloading the signal-quality model from {Directory} failed; still using {Current}")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string directory, string current);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Not reloading yet: {Reason}. Waiting for the next change of the model files")]
    public static partial void PairIncomplete(ILogger logger, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "{ModelFile} was removed: model v{Version} unloaded, Score returns 'no model'")]
    public static partial void ModelUnloaded(ILogger logger, string modelFile, long version);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Debug, Message = "The model files in {Directory} changed on disk but not in content; model v{Version} kept")]
    public static partial void ReloadUnchanged(ILogger logger, string directory, long version);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Cannot watch {Directory} for new models; call ReloadAsync after a training")]
    public static partial void WatchFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "{File}: {Problem}")]
    public static partial void MetadataProblem(ILogger logger, string file, string problem);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "{MetadataFile} lists no signal_quality_feature_names; the feature order comes from {FeaturesFile}")]
    public static partial void FeatureNamesFromManifest(ILogger logger, string metadataFile, string featuresFile);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "{MetadataFile} lists no signal_quality_feature_names (an older training script); the input order is taken from the {Count} keys of improvement_report.feature_importances.signal_quality, which match the model's input width")]
    public static partial void FeatureNamesFromImportances(ILogger logger, string metadataFile, int count);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Watching {Directory} failed ({Message}); reloading now and watching again")]
    public static partial void WatcherError(ILogger logger, string directory, string message);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Information, Message = "The models directory {Directory} was replaced (a model set was installed); watching the new one and reloading")]
    public static partial void DirectoryReplaced(ILogger logger, string directory);
}
