using System.Text.Json;
using System.Text.Json.Nodes;
using Vince.FeatureStore;

namespace Vince.FeatureStore.Tests.Records;

public sealed class FeatureJsonTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name)).Trim();

    [Fact]
    public void Full_record_round_trips_unchanged_including_unknown_keys_at_every_level()
    {
        string original = Fixture("full-record.json");

        FeatureRecord record = FeatureJson.Deserialize(original);
        string written = FeatureJson.Serialize(record);

        // Nulls of known optional fields are omitted on write; everything else must be identical.
        JsonNode expected = JsonNode.Parse(original)!;
        expected["regime"]!.AsObject().Remove("sentiment");
        expected["news"]!.AsObject().Remove("highestRiskSeverity");
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(written)), $"Round trip changed the record:\n{written}");
    }

    [Fact]
    public void Known_fields_are_typed_and_unknown_keys_are_kept()
    {
        FeatureRecord record = FeatureJson.Deserialize(Fixture("full-record.json"));

        Assert.Equal("1769100000000-k3j9x0a2b", record.Id);
        Assert.Equal(1769100000000, record.Timestamp);
        Assert.Equal(72, record.Market!.FundingPercentile);
        Assert.Equal(55.3, record.Market.Rsi14);
        Assert.Equal(2.4, record.Market.OiChange24h);
        Assert.Equal(14, record.Session!.UtcHour);
        Assert.False(record.Signal!.HasOICap);
        Assert.Equal(0.3, record.Signal.XSentimentScore);
        Assert.Equal(["BinanceFundingExtreme", "CoinGlassOI", "XSentiment"], record.Signal.Sources!.Select(s => s.Name));
        Assert.All(record.Signal.Sources!, s => Assert.False(s.IsObject));
        Assert.Equal([2.0, 4.0], record.Execution!.TakeProfitDistancesPct!);
        Assert.Equal(1, record.Labels!.OptimalTpLevel);
        Assert.True(record.IsComplete);
        Assert.Equal(3, record.Market.ExtensionData!["liquidationPressure"].GetInt32());
        Assert.Equal(12, record.ExtensionData!["devilScore"].GetInt32());
        Assert.Equal("convex", record.ExtensionData["wtt"].GetProperty("payoffShape").GetString());
    }

    [Fact]
    public void Older_shapes_are_read_and_written_back_as_they_were()
    {
        string original = Fixture("legacy-record.json");

        FeatureRecord record = FeatureJson.Deserialize(original);

        Assert.Equal(1700000000000, record.Timestamp);
        Assert.Equal(3, record.Session!.UtcHour);
        IReadOnlyList<SignalSource> sources = record.Signal!.Sources!;
        Assert.Equal(3, sources.Count);
        Assert.True(sources[0].IsObject);
        Assert.Equal("FundingRate", sources[0].Name);
        Assert.Equal(-40, sources[0].Sentiment);
        Assert.Equal(2, sources[0].ExtensionData!["weight"].GetInt32());
        Assert.True(sources[1].IsObject);
        Assert.Null(sources[1].Sentiment);
        Assert.False(sources[2].IsObject);
        Assert.Equal(JsonValueKind.Array, record.News!.LegacyList!.Value.ValueKind);
        Assert.Equal("elevated", record.Regime!.OiCapRisk!.Value.GetString());

        JsonNode written = JsonNode.Parse(FeatureJson.Serialize(record))!;
        JsonNode expected = JsonNode.Parse(original)!;
        Assert.True(JsonNode.DeepEquals(expected["signal"]!["sources"], written["signal"]!["sources"]), written.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected["news"], written["news"]), written.ToJsonString());
        Assert.Equal(1700000000000, written["timestamp"]!.GetValue<long>());
    }

    [Fact]
    public void NaN_and_infinities_are_written_as_null()
    {
        var record = new FeatureRecord
        {
            Id = "nan-1",
            Timestamp = 1769100000000,
            Asset = "SOL",
            Market = new MarketFeatures { Price = double.NaN, FundingRate = double.PositiveInfinity, AtrPct = double.NegativeInfinity, Rsi14 = 40 },
            Execution = new ExecutionFeatures { TakeProfitDistancesPct = [1.5, double.NaN] },
            Signal = new SignalFeatures { Sources = [new SignalSource("a", double.NaN)] },
        };

        string json = FeatureJson.Serialize(record);
        JsonNode node = JsonNode.Parse(json)!;

        Assert.Null(node["market"]!["price"]);
        Assert.True(node["market"]!.AsObject().ContainsKey("price"));
        Assert.Null(node["market"]!["fundingRate"]);
        Assert.Null(node["market"]!["atrPct"]);
        Assert.Equal(40, node["market"]!["rsi14"]!.GetValue<double>());
        Assert.Null(node["execution"]!["takeProfitDistancesPct"]![1]);
        Assert.Null(node["signal"]!["sources"]![0]!["sentiment"]);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", json, StringComparison.Ordinal);

        FeatureRecord back = FeatureJson.Deserialize(json);
        Assert.Null(back.Market!.Price);
        Assert.True(double.IsNaN(back.Execution!.TakeProfitDistancesPct![1]));
    }

    [Fact]
    public void Property_names_are_the_existing_camelCase_names()
    {
        var record = new FeatureRecord
        {
            Id = "n",
            Timestamp = 1,
            Asset = "BTC",
            Market = new MarketFeatures { PriceChange1h = 1, Volume24h = 1, OiChange24h = 1, Rsi14 = 1, PriceVsSma20 = 1, Dvol = 1 },
            Signal = new SignalFeatures { HasOICap = true, XSentimentScore = 1 },
            Labels = new FeatureLabels { RMultiple = 1, OptimalTpLevel = 2 },
            Avoided = new AvoidedDecision { Reason = "r", Timestamp = 5 },
        };

        JsonNode node = JsonNode.Parse(FeatureJson.Serialize(record))!;
        Assert.Equal(
            ["dvol", "oiChange24h", "priceChange1h", "priceVsSma20", "rsi14", "volume24h"],
            node["market"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["hasOICap", "xSentimentScore"], node["signal"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(1, node["labels"]!["rMultiple"]!.GetValue<double>());
        Assert.Equal(2, node["labels"]!["optimalTpLevel"]!.GetValue<int>());
        Assert.Equal("r", node["avoided"]!["reason"]!.GetValue<string>());
        Assert.Equal(["id", "timestamp", "asset", "market", "signal", "labels", "avoided"], node.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("""{"id":"x","timestamp":1,"asset":"BTC","session":{"utcHour":"noon"}}""")]
    [InlineData("""{"id":"x","timestamp":1,"asset":"BTC","market":{"price":"high"}}""")]
    [InlineData("""{"id":"x","timestamp":1,"asset":"BTC","signal":{"sources":"a,b"}}""")]
    [InlineData("""{"id":"x","timestamp":1.5,"asset":"BTC"}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"id":"x","timestamp":1,"asset":"BTC\""")]
    public void Wrong_shapes_raise_JsonException(string json)
        => Assert.Throws<JsonException>(() => FeatureJson.Deserialize(json));
}
