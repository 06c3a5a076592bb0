using Microsoft.Extensions.Logging;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;

namespace Vince.FeatureStore.Onnx.Diagnostics;

/// <summary>
/// Structured log events of training, model installation and the start-up model download. Event ids 3020–3069 (the
/// ONNX package's range 3000–3099; scoring uses 3000–3019).
/// </summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 3020, Level = LogLevel.Information, Message = "Trainer {Trainer} started (pid {Pid}): {Command} {Arguments}; timeout {Timeout}")]
    public static partial void TrainerStarted(ILogger logger, string trainer, int pid, string command, string arguments, TimeSpan timeout);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "[{Trainer} {Stream}] {Line}")]
    public static partial void TrainerOutput(ILogger logger, string trainer, string stream, string line);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Information, Message = "Trainer {Trainer} exited with code {ExitCode} after {Duration}")]
    public static partial void TrainerExited(ILogger logger, string trainer, int exitCode, TimeSpan duration);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Warning, Message = "Killing trainer {Trainer} (pid {Pid}) and its child processes: {Reason}")]
    public static partial void TrainerKilled(ILogger logger, string trainer, int pid, string reason);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Error, Message = "Trainer {Trainer} (pid {Pid}) could not be killed or did not exit within 10 s")]
    public static partial void KillFailed(ILogger logger, Exception? exception, string trainer, int pid);

    [LoggerMessage(EventId = 3025, Level = LogLevel.Warning, Message = "Trainer {Trainer} ended but its output stayed open for {Timeout} (a child process still holds it); no longer reading it")]
    public static partial void OutputStillOpen(ILogger logger, string trainer, TimeSpan timeout);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Information, Message = "Training with {Trainer}: features {FeaturesDirectory}, models {ModelsDirectory}, at least {MinSamples} complete trades")]
    public static partial void TrainingStarted(ILogger logger, string trainer, string featuresDirectory, string modelsDirectory, int minSamples);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Information, Message = "Installed a new model set in {ModelsDirectory}: {Models} ({Swap}); {Duration} since the training started")]
    public static partial void Installed(ILogger logger, string modelsDirectory, string models, ModelSetSwap swap, TimeSpan duration);

    [LoggerMessage(EventId = 3032, Level = LogLevel.Information, Message = "Trainer {Trainer} trained no model: {Trades} complete trade(s) (trades_with_outcomes), {MinSamples} needed. The models in {ModelsDirectory} are unchanged")]
    public static partial void NotEnoughData(ILogger logger, string trainer, int? trades, int minSamples, string modelsDirectory);

    [LoggerMessage(EventId = 3033, Level = LogLevel.Error, Message = "Training with {Trainer} failed at {Stage}; the models in {ModelsDirectory} are unchanged. {Reason}\nTrainer output:\n{TrainerOutput}")]
    public static partial void Failed(ILogger logger, Exception exception, string trainer, ModelTrainingStage stage, string modelsDirectory, string reason, string trainerOutput);

    [LoggerMessage(EventId = 3034, Level = LogLevel.Warning, Message = "Training with {Trainer} was cancelled; the models in {ModelsDirectory} are unchanged")]
    public static partial void Cancelled(ILogger logger, string trainer, string modelsDirectory);

    [LoggerMessage(EventId = 3035, Level = LogLevel.Information, Message = "Published the new model set to {Bucket} as run {Run}; latest.json points to it")]
    public static partial void Uploaded(ILogger logger, string bucket, string run);

    [LoggerMessage(EventId = 3036, Level = LogLevel.Error, Message = "Publishing the new model set to {Bucket} failed; it is installed locally, and the registry's latest.json keeps the previous run until the next training")]
    public static partial void UploadFailed(ILogger logger, Exception exception, string bucket);

    [LoggerMessage(EventId = 3037, Level = LogLevel.Information, Message = "Scorer reloaded after the training: {Model}")]
    public static partial void ScorerReloaded(ILogger logger, string model);

    [LoggerMessage(EventId = 3038, Level = LogLevel.Error, Message = "The scorer could not load the newly installed models; it keeps its previous model")]
    public static partial void ScorerReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3039, Level = LogLevel.Warning, Message = "Could not delete the staging directory {Directory}; it is hidden and nothing reads it")]
    public static partial void StagingNotDeleted(ILogger logger, string directory);

    [LoggerMessage(EventId = 3045, Level = LogLevel.Information, Message = "Deleted {Count} abandoned staging director(y/ies) next to {ModelsDirectory} (left by a run that was killed)")]
    public static partial void StaleStagingDeleted(ILogger logger, int count, string modelsDirectory);

    [LoggerMessage(EventId = 3040, Level = LogLevel.Information, Message = "Training when ready: checking every {Interval} for at least {MinSamples} complete trades (counted from {Source}); at most one training per {MinTimeBetween}; trainer {Trainer}; models {ModelsDirectory}")]
    public static partial void ServiceStarted(ILogger logger, TimeSpan interval, int minSamples, string source, TimeSpan minTimeBetween, string trainer, string modelsDirectory);

    [LoggerMessage(EventId = 3041, Level = LogLevel.Debug, Message = "Not training: {Count} complete trade(s), {MinSamples} needed")]
    public static partial void NotReady(ILogger logger, int count, int minSamples);

    [LoggerMessage(EventId = 3042, Level = LogLevel.Debug, Message = "Not training: {Count} complete trades, but the last training was at {LastTrainAt}; the next may run from {NextAt}")]
    public static partial void NotDue(ILogger logger, int count, DateTimeOffset lastTrainAt, DateTimeOffset nextAt);

    [LoggerMessage(EventId = 3043, Level = LogLevel.Error, Message = "The training check failed; trying again in {Interval}")]
    public static partial void CheckFailed(ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(EventId = 3044, Level = LogLevel.Warning, Message = "Ignoring the last training time: {Problem}")]
    public static partial void LastTrainAtIgnored(ILogger logger, string problem);

    [LoggerMessage(EventId = 3050, Level = LogLevel.Information, Message = "Downloaded the model set from {Bucket} into {ModelsDirectory} before loading the scorer (the local set differed from the latest run): {Files}")]
    public static partial void StartupDownloadInstalled(ILogger logger, string bucket, string modelsDirectory, string files);

    [LoggerMessage(EventId = 3051, Level = LogLevel.Information, Message = "{Bucket} holds no model set to download; the scorer starts with what {ModelsDirectory} holds")]
    public static partial void StartupDownloadNotAvailable(ILogger logger, string modelsDirectory, string bucket);

    [LoggerMessage(EventId = 3052, Level = LogLevel.Error, Message = "Downloading the model set from {Bucket} into {ModelsDirectory} failed; the scorer starts with what the directory holds")]
    public static partial void StartupDownloadFailed(ILogger logger, Exception exception, string bucket, string modelsDirectory);

    [LoggerMessage(EventId = 3053, Level = LogLevel.Debug, Message = "{ModelsDirectory} already holds the latest run of {Bucket}; nothing downloaded")]
    public static partial void StartupDownloadSkipped(ILogger logger, string modelsDirectory, string bucket);

    [LoggerMessage(EventId = 3060, Level = LogLevel.Information, Message = "Quality gate {Reason}")]
    public static partial void GatePassed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3061, Level = LogLevel.Warning, Message = "Quality gate: the set trained by {Trainer} was not installed in {ModelsDirectory} nor published; kept as rejected run {Run}. {Reason}")]
    public static partial void Rejected(ILogger logger, string trainer, string modelsDirectory, string run, string reason);

    [LoggerMessage(EventId = 3062, Level = LogLevel.Warning, Message = "Quality gate overridden (force): installing and publishing although it {Reason}")]
    public static partial void GateForced(ILogger logger, string reason);

    [LoggerMessage(EventId = 3063, Level = LogLevel.Error, Message = "Keeping the rejected set in {Bucket} failed; nothing was installed or published")]
    public static partial void RejectedUploadFailed(ILogger logger, Exception exception, string bucket);

    [LoggerMessage(EventId = 3064, Level = LogLevel.Warning, Message = "Could not read the last training time from {Bucket}; the 24-hour rule uses the local {FileName} only this time")]
    public static partial void RegistryLastTrainingFailed(ILogger logger, Exception exception, string bucket, string fileName);

    [LoggerMessage(EventId = 3065, Level = LogLevel.Information, Message = "Early retrain: the win rate of the last {Trades} complete trades (within {Window}) is {WinRate:P1}, below {Threshold:P1}; training although the last training was at {LastTrainAt}")]
    public static partial void EarlyRetrain(ILogger logger, int trades, TimeSpan window, double winRate, double threshold, DateTimeOffset lastTrainAt);

    [LoggerMessage(EventId = 3066, Level = LogLevel.Information, Message = "{Bucket} published run {Run}: installed it in {ModelsDirectory} and reloaded the scorer ({Model})")]
    public static partial void PolledRunInstalled(ILogger logger, string bucket, string run, string modelsDirectory, string model);

    [LoggerMessage(EventId = 3067, Level = LogLevel.Warning, Message = "Polling {Bucket} for a new run failed; trying again in {Interval}")]
    public static partial void PollFailed(ILogger logger, Exception exception, string bucket, TimeSpan interval);

    [LoggerMessage(EventId = 3068, Level = LogLevel.Information, Message = "Polling {Bucket}'s latest.json every {Interval} for new model runs (models {ModelsDirectory}, current run {Run})")]
    public static partial void PollStarted(ILogger logger, string bucket, TimeSpan interval, string modelsDirectory, string run);

    [LoggerMessage(EventId = 3069, Level = LogLevel.Warning, Message = "The quality gate could not read the latest run of {Bucket}; it compares the new set with the one installed in {ModelsDirectory} instead")]
    public static partial void ChampionUnavailable(ILogger logger, Exception exception, string bucket, string modelsDirectory);

    [LoggerMessage(EventId = 3054, Level = LogLevel.Information, Message = "A training is due by time but the live features have not drifted, so the installed set is kept (RetrainOnDrift): {Drift}")]
    public static partial void NoDrift(ILogger logger, string drift);

    [LoggerMessage(EventId = 3055, Level = LogLevel.Information, Message = "The live features drifted; retraining (RetrainOnDrift): {Drift}")]
    public static partial void DriftTriggered(ILogger logger, string drift);

    [LoggerMessage(EventId = 3056, Level = LogLevel.Warning, Message = "RetrainOnDrift is on but {ModelsDirectory} has no feature_bins.json (a set the Python script trained): training on the time rule alone")]
    public static partial void DriftUnavailable(ILogger logger, string modelsDirectory);

    [LoggerMessage(EventId = 3070, Level = LogLevel.Information, Message = "Training snapshot: {Records} records from {Source} as of {AsOf:O} (sha256 {Sha256}) in {Elapsed}")]
    public static partial void SnapshotTaken(ILogger logger, int records, string source, DateTimeOffset asOf, string sha256, TimeSpan elapsed);

    [LoggerMessage(EventId = 3071, Level = LogLevel.Warning, Message = "The trainer's {File} already names a data_source; it is kept, and the snapshot's ({Sha256}) is not written")]
    public static partial void DataSourceKept(ILogger logger, string file, string sha256);
}
