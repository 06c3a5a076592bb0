using System.Globalization;

namespace Vince.FeatureStore.Training;

/// <summary>
/// Settings of <see cref="DotnetModelTrainer"/>: the gradient-boosted trees of every model and the holdout. The
/// defaults suit the few hundred to few hundred thousand trades a paper-trading bot collects.
/// </summary>
public sealed class DotnetTrainerOptions
{
    /// <summary>Boosting rounds (trees) per model, or per class of the take-profit model. Default 100.</summary>
    public int NumberOfTrees { get; set; } = 100;

    /// <summary>Leaves per tree. Default 16.</summary>
    public int NumberOfLeaves { get; set; } = 16;

    /// <summary>The fewest training rows a leaf may hold. Default 10.</summary>
    public int MinimumExampleCountPerLeaf { get; set; } = 10;

    /// <summary>Shrinkage of each tree. Default 0.1.</summary>
    public double LearningRate { get; set; } = 0.1;

    /// <summary>
    /// The newest fraction of each model's rows held out (never trained on) for the metrics, Platt calibration and
    /// threshold. Default 0.2, as the Python script. Nothing is held out when that would leave fewer than 10 training or
    /// 5 holdout rows.
    /// </summary>
    public double HoldoutFraction { get; set; } = ModelSets.HoldoutEvaluation.DefaultFraction;

    /// <summary>The quantile of the maximum adverse excursion the stop-loss model predicts. Default 0.95.</summary>
    public double StopLossQuantile { get; set; } = 0.95;

    /// <summary>Seed of ML.NET's random choices, so a training is repeatable. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Threads ML.NET may use; <see langword="null"/> (default) lets ML.NET decide.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// Train on the store's own log only, leaving out <c>synthetic_*.jsonl</c> and <c>combined.jsonl</c> (the Python
    /// script's <c>--real-only</c>). Default <see langword="false"/>: all three, as the script reads them.
    /// </summary>
    public bool RealOnly { get; set; }

    /// <summary>
    /// Also save each fitted ML.NET model as <c>&lt;name&gt;.mlnet.zip</c> beside its ONNX file (the counterpart of the
    /// script's <c>.joblib</c> backups), e.g. to compare ML.NET's and ONNX Runtime's predictions. Default <see langword="false"/>.
    /// </summary>
    public bool SaveMlNetModels { get; set; }

    /// <summary>Every problem with the settings; empty when they are valid.</summary>
    /// <returns>One message per invalid setting.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool valid, string name, object value, string rule)
        {
            if (!valid)
            {
                errors.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(DotnetTrainerOptions)}.{name} is {value}; it must be {rule}."));
            }
        }

        Check(NumberOfTrees is >= 1 and <= 10_000, nameof(NumberOfTrees), NumberOfTrees, "between 1 and 10000");
        Check(NumberOfLeaves is >= 2 and <= 1024, nameof(NumberOfLeaves), NumberOfLeaves, "between 2 and 1024");
        Check(MinimumExampleCountPerLeaf >= 1, nameof(MinimumExampleCountPerLeaf), MinimumExampleCountPerLeaf, "at least 1");
        Check(LearningRate > 0 && LearningRate <= 1, nameof(LearningRate), LearningRate, "greater than 0 and at most 1");
        Check(HoldoutFraction > 0 && HoldoutFraction < 1, nameof(HoldoutFraction), HoldoutFraction, "between 0 and 1 (exclusive)");
        Check(StopLossQuantile > 0.5 && StopLossQuantile < 1, nameof(StopLossQuantile), StopLossQuantile, "between 0.5 and 1 (exclusive)");
        Check(NumberOfThreads is null or >= 1, nameof(NumberOfThreads), NumberOfThreads ?? 0, "null or at least 1");
        return errors;
    }
}
