using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Scoring;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// Compares a new model set (the challenger) with the current one (the champion) on the same rows: the challenger's
/// holdout, i.e. the newest signal-quality rows of the training data by the trainers' split rule
/// (<see cref="HoldoutEvaluation.SplitIndex"/> with the challenger's <c>trainer.holdout_fraction</c>, else 0.2). Both
/// signal-quality models are loaded as the scorer loads them and run in ONNX Runtime, each with its own column list
/// (the flattener fills them, lags from the history of every earlier record); the AUC is computed on the models' own
/// probabilities (before calibration).
/// </summary>
internal static class ModelQualityGate
{
    public static async Task<ModelGateResult> EvaluateAsync(
        string challengerDirectory, string? championDirectory, string? championName, string featuresDirectory, ModelQualityGateOptions options,
        ILogger logger, CancellationToken cancellationToken)
    {
        double tolerance = options.Tolerance;
        ScoringModel challenger = Load(challengerDirectory, logger)
            ?? throw new InvalidModelSetException(challengerDirectory, ["the new set has no signal_quality.onnx: the quality gate has nothing to compare."]);
        ScoringModel? champion = null;
        string? championProblem = null;
        try
        {
            if (championDirectory is not null)
            {
                try
                {
                    champion = Load(championDirectory, logger);
                }
                catch (OnnxModelLoadException ex)
                {
                    // A champion the scorer could not load either is no standard to hold the new set to.
                    championProblem = ex.Message;
                }
            }

            var labels = new List<bool>();
            var challengerScores = new List<double>();
            var championScores = new List<double>();
            var history = new FeatureHistory();
            var reader = new FeatureLogReader(featuresDirectory);
            await foreach (FeatureRecord record in reader.ReadRecordsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (TrainingModels.LabelOf(TrainingModel.SignalQuality, record) is { } label)
                {
                    labels.Add(label > 0.5);
                    challengerScores.Add(challenger.ScoreSignalQuality(record, history).ModelProbability);
                    if (champion is not null)
                    {
                        championScores.Add(champion.ScoreSignalQuality(record, history).ModelProbability);
                    }
                }

                history.Add(record);
            }

            double fraction = HoldoutFraction(challengerDirectory);
            int split = HoldoutEvaluation.SplitIndex(labels.Count, fraction);
            int rows = labels.Count - split;
            if (rows == 0)
            {
                return new ModelGateResult(true, Invariant($"passed without a comparison: {labels.Count} signal-quality row(s) leave no holdout ({fraction:0.##} of them, at least 5 rows and 10 to train)."))
                {
                    Tolerance = tolerance,
                    Champion = championName,
                };
            }

            List<bool> holdoutLabels = labels[split..];
            double challengerAuc = HoldoutEvaluation.RocAuc(holdoutLabels, challengerScores[split..]);
            if (double.IsNaN(challengerAuc))
            {
                return new ModelGateResult(true, Invariant($"passed without a comparison: the {rows} holdout row(s) hold one outcome only, so no AUC can be measured."))
                {
                    Tolerance = tolerance,
                    HoldoutRows = rows,
                    Champion = championName,
                };
            }

            if (champion is null)
            {
                string why = championProblem is null ? "there is no current set to compare with" : $"the current set ({championName}) cannot be loaded: {championProblem}";
                return new ModelGateResult(true, Invariant($"passed: {why}; the new set's holdout AUC is {challengerAuc:0.0000} on {rows} rows."))
                {
                    ChallengerAuc = challengerAuc,
                    Tolerance = tolerance,
                    HoldoutRows = rows,
                    Champion = championName,
                };
            }

            double championAuc = HoldoutEvaluation.RocAuc(holdoutLabels, championScores[split..]);
            bool passed = challengerAuc >= championAuc - tolerance;
            string verdict = passed ? "passed" : "rejected";
            string comparison = passed ? "at least" : "below";
            return new ModelGateResult(passed, Invariant(
                $"{verdict}: the new set's signal-quality AUC {challengerAuc:0.0000} is {comparison} the current set's {championAuc:0.0000} ({championName}) minus the tolerance {tolerance:0.####}, on the same {rows} holdout rows."))
            {
                ChallengerAuc = challengerAuc,
                ChampionAuc = championAuc,
                Champion = championName,
                Tolerance = tolerance,
                HoldoutRows = rows,
            };
        }
        finally
        {
            challenger.Release();
            champion?.Release();
        }
    }

    /// <summary>Loads the signal-quality model of a set as the scorer does; <see langword="null"/> when the set has none.</summary>
    private static ScoringModel? Load(string directory, ILogger logger)
    {
        var options = new OnnxScoringOptions { ModelsDirectory = directory, WatchForChanges = false, VerifyModelHash = true };
        return ModelFiles.Read(directory, options) is { } files ? ScoringModelLoader.Build(files, options, version: 1, DateTimeOffset.UnixEpoch, logger) : null;
    }

    /// <summary>The challenger trainer's holdout fraction (<c>trainer.holdout_fraction</c> of its metadata), else the script's 0.2.</summary>
    private static double HoldoutFraction(string directory)
    {
        try
        {
            TrainingMetadata metadata = TrainingMetadata.Load(Path.Combine(directory, TrainingMetadata.FileName));
            if (metadata.AdditionalProperties.TryGetValue("trainer", out JsonElement trainer) && trainer.ValueKind == JsonValueKind.Object
                && trainer.TryGetProperty("holdout_fraction", out JsonElement fraction) && fraction.ValueKind == JsonValueKind.Number
                && fraction.GetDouble() is > 0 and < 1 and double value)
            {
                return value;
            }
        }
        catch (JsonException)
        {
            // Validated before the gate runs; unreachable in practice, and the default is the script's rule.
        }

        return HoldoutEvaluation.DefaultFraction;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
