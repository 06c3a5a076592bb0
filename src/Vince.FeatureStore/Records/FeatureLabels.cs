using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vince.FeatureStore;

/// <summary>Training labels derived from a closed trade's execution and outcome.</summary>
[RecordSection]
public sealed record FeatureLabels
{
    /// <summary>Realised PnL was positive.</summary>
    [SpecialColumn] // label_profitable falls back to outcome.profitable
    public bool Profitable { get; init; }
    /// <summary>Realised PnL when profitable, else 0.</summary>
    public double WinAmount { get; init; }
    /// <summary>Absolute realised PnL when not profitable, else 0.</summary>
    public double LossAmount { get; init; }
    /// <summary>PnL in units of the risk taken (stop distance × size × leverage); 0 when that risk is 0.</summary>
    public double RMultiple { get; init; }
    /// <summary>Highest take-profit level (1-based) the price came within 90 % of; 0 when none.</summary>
    [JsonConverter(typeof(LenientInt32Converter))]
    public int OptimalTpLevel { get; init; }
    /// <summary>Stopped out although the price first moved more than twice the stop distance in favour.</summary>
    public bool StopTooTight { get; init; }
    /// <summary>The adverse excursion exceeded half the stop distance: a better entry was available.</summary>
    public bool BetterEntryAvailable { get; init; }
    /// <summary>Optional benchmark score some writers add.</summary>
    public double? BenchScore { get; init; }
    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>
    /// Derives the labels with the rules of the existing pipeline. Missing numbers count as 0; without
    /// an execution or an outcome every label is false/0.
    /// </summary>
    /// <param name="execution">How the trade was opened.</param>
    /// <param name="outcome">How the trade closed.</param>
    /// <returns>The labels; never <see langword="null"/>.</returns>
    public static FeatureLabels Derive(ExecutionFeatures? execution, OutcomeFeatures? outcome)
    {
        if (execution is null || outcome is null)
        {
            return new FeatureLabels();
        }

        double pnl = outcome.RealizedPnl ?? 0;
        bool profitable = pnl > 0;
        double stopDistancePct = execution.StopLossDistancePct ?? 0;
        double risk = stopDistancePct / 100 * (execution.PositionSizeUsd ?? 0) * (execution.Leverage ?? 0);
        double favorable = outcome.MaxFavorableExcursion ?? 0;
        double adverse = outcome.MaxAdverseExcursion ?? 0;

        int optimalTpLevel = 0;
        if (execution.TakeProfitDistancesPct is { } distances)
        {
            for (int i = 0; i < distances.Count; i++)
            {
                if (favorable >= 0.9 * distances[i])
                {
                    optimalTpLevel = i + 1;
                }
            }
        }

        return new FeatureLabels
        {
            Profitable = profitable,
            WinAmount = profitable ? pnl : 0,
            LossAmount = profitable ? 0 : Math.Abs(pnl),
            RMultiple = risk == 0 ? 0 : pnl / risk,
            OptimalTpLevel = optimalTpLevel,
            StopTooTight = outcome.ExitReason == "stop_loss" && favorable > 2 * stopDistancePct,
            BetterEntryAvailable = adverse > 0.5 * stopDistancePct,
        };
    }
}
