using System.Globalization;
using System.Text.Json;
using Vince.FeatureStore;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Tests.Support;

namespace Vince.FeatureStore.Tests.Flattening;

/// <summary>
/// For every record of a generated data set, the inference vector built from the exported column list equals
/// the exported training row: no training/serving skew.
/// </summary>
public sealed class TrainingServingParityTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(TrainingModel.SignalQuality)]
    [InlineData(TrainingModel.PositionSizing)]
    [InlineData(TrainingModel.TpOptimizer)]
    [InlineData(TrainingModel.SlOptimizer)]
    public async Task Every_exported_row_equals_the_vector_the_scorer_builds(TrainingModel model)
    {
        GenerateDataSet(_dir.Path, records: 600, seed: 7);
        var reader = new FeatureLogReader(_dir.Path);
        string csv = Path.Combine(_dir.Path, "export", "train.csv");

        TrainingExportResult result = await TrainingExporter.ExportAsync(reader, model, csv);

        string[] lines = File.ReadAllLines(csv);
        Assert.True(result.Manifest.RowCount > 100, $"only {result.Manifest.RowCount} rows");
        Assert.Equal(result.Manifest.RowCount, lines.Length - 1);
        Assert.Contains("asset_HYPE", result.Manifest.Columns);
        Assert.Contains("market_dvol_roll3", result.Manifest.Columns);

        CompiledColumns compiled = FeatureFlattener.Compile(result.Manifest.Columns);
        Assert.Empty(compiled.UnknownNames);
        var history = new FeatureHistory();
        float[] vector = new float[compiled.Count];
        int row = 0;
        await foreach (FeatureRecord record in reader.ReadRecordsAsync())
        {
            if (TrainingModels.LabelOf(model, record) is not null)
            {
                row++;
                compiled.Fill(record, history, vector);
                float[] trained = lines[row].Split(',')[..^1].Select(v => (float)double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                Assert.Equal(trained, vector);
            }

            history.Add(record);
        }

        Assert.Equal(result.Manifest.RowCount, row);
    }

    [Fact]
    public void Filling_a_vector_does_not_allocate()
    {
        GenerateDataSet(_dir.Path, records: 50, seed: 3);
        List<FeatureRecord> records = new FeatureLogReader(_dir.Path).ReadRecordsAsync().ToBlockingEnumerable().ToList();
        var profile = new FeatureDataProfile();
        records.ForEach(profile.Observe);
        CompiledColumns compiled = FeatureFlattener.Compile([.. profile.ModelColumns(TrainingModel.SignalQuality), "market_regimeNote", "news_headlineText"]);
        var history = new FeatureHistory();
        records.Take(10).ToList().ForEach(history.Add);
        float[] vector = new float[compiled.Count];
        compiled.Fill(records[^1], history, vector); // warm-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            compiled.Fill(records[i % records.Count], history, vector);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    /// <summary>Random records with every shape the rules distinguish, several versions per id, four assets.</summary>
    internal static void GenerateDataSet(string directory, int records, int seed)
    {
        var random = new Random(seed);
        string[] assets = ["BTC", "ETH", "SOL", "HYPE"];
        string[] regimes = ["low", "normal", "high", "extreme"];
        string[] markets = ["bullish", "bearish", "neutral", "volatile"];
        double? Maybe(double value) => random.NextDouble() < 0.15 ? null : Math.Round(value, 4);
        var decisions = new List<string>();
        var finals = new List<string>();
        for (int i = 0; i < records; i++)
        {
            string asset = assets[random.Next(assets.Length)];
            bool objectSources = random.NextDouble() < 0.2;
            FeatureRecord decision = new()
            {
                Id = $"g{i}",
                Timestamp = TestRecords.BaseTime + (i * 60_000L) + random.Next(1000),
                Asset = asset,
                Market = new MarketFeatures
                {
                    Price = Maybe(100 + random.NextDouble() * 1000),
                    PriceChange24h = Maybe(random.NextDouble() * 10 - 5),
                    VolumeRatio = Maybe(random.NextDouble() * 3),
                    FundingPercentile = Maybe(random.NextDouble() * 100),
                    LongShortRatio = Maybe(0.5 + random.NextDouble()),
                    AtrPct = Maybe(random.NextDouble() * 4),
                    Rsi14 = Maybe(random.NextDouble() * 100),
                    OiChange24h = Maybe(random.NextDouble() * 10 - 5),
                    Dvol = random.NextDouble() < 0.5 ? null : Math.Round(30 + random.NextDouble() * 40, 3),
                    BookImbalance = Maybe(random.NextDouble() * 2 - 1),
                },
                Session = random.NextDouble() < 0.1 ? null : new SessionFeatures
                {
                    UtcHour = random.Next(24),
                    IsWeekend = random.NextDouble() < 0.3,
                    IsOpenWindow = random.NextDouble() < 0.5,
                    Session = "us",
                },
                Signal = random.NextDouble() < 0.05 ? null : new SignalFeatures
                {
                    Direction = random.NextDouble() < 0.5 ? "long" : "short",
                    Strength = Maybe(random.Next(101)),
                    Confidence = Maybe(random.Next(101)),
                    Sources = objectSources
                        ? [new SignalSource("a", random.Next(-100, 100)), new SignalSource("b", null)]
                        : Enumerable.Range(0, random.Next(5)).Select(n => new SignalSource($"s{n}")).ToList(),
                    AvgSentiment = random.NextDouble() < 0.5 ? null : random.Next(-100, 100),
                    HasCascadeSignal = random.NextDouble() < 0.3,
                    HasFundingExtreme = random.NextDouble() < 0.3,
                    HasWhaleSignal = random.NextDouble() < 0.3,
                    HasOICap = random.NextDouble() < 0.1 ? true : null,
                },
                Regime = new RegimeFeatures { VolatilityRegime = regimes[random.Next(4)], MarketRegime = markets[random.Next(4)] },
                News = random.NextDouble() < 0.1
                    ? new NewsFeatures { LegacyList = JsonDocument.Parse($"[{{\"sentiment\":{random.Next(-50, 50)}}}]").RootElement.Clone() }
                    : new NewsFeatures { MacroRiskEnvironment = random.NextDouble() < 0.5 ? "risk_on" : "risk_off", NasdaqChange = Maybe(random.NextDouble()) },
                ExtensionData = random.NextDouble() < 0.2
                    ? new() { ["wtt"] = JsonDocument.Parse($"{{\"primary\":{(random.NextDouble() < 0.5 ? "true" : "false")},\"edge\":{random.Next(10)}}}").RootElement.Clone() }
                    : null,
            };
            decisions.Add(TestRecords.Line(decision));
            if (random.NextDouble() < 0.25)
            {
                finals.Add(TestRecords.Line(decision with { Avoided = new AvoidedDecision { Reason = "skip" } }));
                continue;
            }

            var execution = new ExecutionFeatures { Leverage = 5, PositionSizeUsd = 1000, StopLossDistancePct = 2, TakeProfitDistancesPct = [1, 2, 3], StreakMultiplier = Maybe(random.NextDouble() + 0.5) };
            var outcome = new OutcomeFeatures { RealizedPnl = Math.Round(random.NextDouble() * 400 - 200, 2), MaxFavorableExcursion = random.NextDouble() * 4, MaxAdverseExcursion = random.NextDouble() * 6, ExitReason = "stop_loss" };
            finals.Add(TestRecords.Line(random.NextDouble() < 0.1
                ? decision with { Execution = execution }
                : decision with { Execution = execution, Outcome = outcome, Labels = FeatureLabels.Derive(execution, outcome) }));
        }

        Directory.CreateDirectory(directory);
        File.WriteAllLines(Path.Combine(directory, "features_2026-01-22_1.jsonl"), decisions);
        File.WriteAllLines(Path.Combine(directory, "features_2026-01-23_2.jsonl"), finals);
    }
}
