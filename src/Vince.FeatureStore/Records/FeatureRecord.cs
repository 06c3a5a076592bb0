using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vince.FeatureStore;

/// <summary>
/// One trading decision with every feature the bot saw, and later its execution, outcome and labels.
/// The JSON shape (camelCase) is the one the existing TypeScript store and Python training script use.
/// </summary>
/// <remarks>
/// Records are immutable snapshots: a later version (execution, outcome) is a new instance made with
/// a <c>with</c> expression and written under the same <see cref="Id"/>; the last version wins.
/// Keys this type does not know are kept in <see cref="ExtensionData"/> and written back unchanged.
/// </remarks>
public sealed record FeatureRecord
{
    /// <summary>Opaque identifier shared by every version of the record (see <see cref="FeatureRecordId"/>).</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = "";

    /// <summary>Decision time as Unix epoch milliseconds.</summary>
    [JsonPropertyName("timestamp")]
    [JsonConverter(typeof(LenientInt64Converter))]
    public long Timestamp { get; init; }

    /// <summary>Ticker such as <c>BTC</c>, <c>ETH</c>, <c>SOL</c>, <c>HYPE</c>.</summary>
    [JsonPropertyName("asset")]
    public string Asset { get; init; } = "";

    /// <summary>Market state at decision time.</summary>
    public MarketFeatures? Market { get; init; }

    /// <summary>Trading-session context.</summary>
    public SessionFeatures? Session { get; init; }

    /// <summary>The aggregated signal that prompted the decision.</summary>
    public SignalFeatures? Signal { get; init; }

    /// <summary>Volatility and market regime.</summary>
    public RegimeFeatures? Regime { get; init; }

    /// <summary>News and macro context.</summary>
    [JsonConverter(typeof(NewsSectionConverter))]
    public NewsFeatures? News { get; init; }

    /// <summary>Human-readable reasons for the decision (at most 15 by convention).</summary>
    public IReadOnlyList<string>? DecisionDrivers { get; init; }

    /// <summary>Set when a trade opens.</summary>
    public ExecutionFeatures? Execution { get; init; }

    /// <summary>Set when the trade closes.</summary>
    public OutcomeFeatures? Outcome { get; init; }

    /// <summary>Training labels derived from <see cref="Execution"/> and <see cref="Outcome"/> (see <see cref="FeatureLabels.Derive"/>).</summary>
    public FeatureLabels? Labels { get; init; }

    /// <summary>Set when the signal was evaluated but not traded.</summary>
    public AvoidedDecision? Avoided { get; init; }

    /// <summary>
    /// The order of this version among the versions of <see cref="Id"/>, Unix epoch milliseconds: the store sets it on
    /// every version it writes, strictly increasing per id, and the sinks never replace a stored row by a version
    /// with a lower one. <see langword="null"/> for a version written without it (an old log, the original bot's
    /// rows), which is older than any version that has one. Not a training column.
    /// </summary>
    [JsonPropertyName(RecordVersionOrder.JsonKey)]
    [JsonConverter(typeof(LenientNullableInt64Converter))]
    public long? UpdatedAt { get; init; }

    /// <summary>Keys this type does not model (e.g. <c>preMortem</c>, <c>wtt</c>); written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>True when the record is usable as a training row: it has both an outcome and labels.</summary>
    [JsonIgnore]
    public bool IsComplete => Outcome is not null && Labels is not null;

    /// <summary>The decision time as a <see cref="DateTimeOffset"/> (UTC).</summary>
    [JsonIgnore]
    public DateTimeOffset TimestampUtc => DateTimeOffset.FromUnixTimeMilliseconds(Timestamp);
}

/// <summary>A signal that was evaluated but not traded.</summary>
[RecordSection]
public sealed record AvoidedDecision
{
    /// <summary>Why the signal was not traded.</summary>
    public string? Reason { get; init; }

    /// <summary>When the signal was avoided, Unix epoch milliseconds.</summary>
    [JsonConverter(typeof(LenientNullableInt64Converter))]
    public long? Timestamp { get; init; }

    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
