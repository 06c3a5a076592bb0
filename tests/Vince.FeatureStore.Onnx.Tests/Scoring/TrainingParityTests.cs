using System.Globalization;
using System.Text.Json.Nodes;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Tests.Support;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

/// <summary>
/// End to end with the library's own training export: the columns and per-column mean/std of
/// <c>feature_manifest.json</c> go into the metadata, and for every training row the scorer's probability equals
/// the model applied to that CSV row, standardised. Training and serving see the same inputs.
/// </summary>
public sealed class TrainingParityTests : IDisposable
{
    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Every_training_row_scores_as_the_model_applied_to_that_row()
    {
        FeatureRecord[] records = Generate(400, seed: 11);
        string csv = _fixture.Directory.File("export/signal_quality.csv");
        TrainingExportResult export = await TrainingExporter.ExportAsync(_ => records.ToAsyncEnumerable(), TrainingModel.SignalQuality, csv);
        IReadOnlyList<string> columns = export.Manifest.Columns;
        Assert.Contains("asset_SOL", columns);
        Assert.Contains("market_atrPct_roll3", columns);

        var random = new Random(3);
        float[] weights = columns.Select(_ => (float)((random.NextDouble() - 0.5) * 0.4)).ToArray();
        var scaling = new JsonObject();
        foreach ((string column, ColumnScaling s) in export.Manifest.Scaling)
        {
            scaling[column] = new JsonObject { ["mean"] = s.Mean, ["std"] = s.Std };
        }

        JsonObject metadata = MetadataJson.For(columns);
        metadata["signal_quality_scaling"] = scaling;
        _fixture.Write(OnnxModels.LogisticRegression(weights, -0.1f), metadata);
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        Assert.Equal(columns.Count, scorer.Model!.ScaledColumnCount);

        string[] rows = File.ReadAllLines(csv)[1..];
        var history = new FeatureHistory();
        int row = 0;
        foreach (FeatureRecord record in records)
        {
            if (record.Labels is not null)
            {
                string[] fields = rows[row++].Split(',')[..^1];
                double z = -0.1;
                for (int i = 0; i < fields.Length; i++)
                {
                    ColumnScaling s = export.Manifest.Scaling[columns[i]];
                    float x = (float)double.Parse(fields[i], CultureInfo.InvariantCulture);
                    z += (float)((x - s.Mean) / (s.Std > 0 ? s.Std : 1)) * (double)weights[i];
                }

                Assert.Equal(1 / (1 + Math.Exp(-z)), scorer.Score(record, history).Probability, 1e-6);
            }

            history.Add(record);
        }

        Assert.Equal(export.Manifest.RowCount, row);
        Assert.True(row > 200);
    }

    private static FeatureRecord[] Generate(int count, int seed)
    {
        var r = new Random(seed);
        string[] assets = ["BTC", "ETH", "SOL"];
        double? Maybe(double value) => r.Next(6) == 0 ? null : value;
        var records = new FeatureRecord[count];
        for (int i = 0; i < count; i++)
        {
            var decision = new FeatureRecord
            {
                Id = $"{1_769_100_000_000L + i}-gen{i:000000}",
                Timestamp = 1_769_100_000_000L + (i * 60_000L),
                Asset = assets[r.Next(assets.Length)],
                Market = new MarketFeatures
                {
                    PriceChange24h = (r.NextDouble() - 0.5) * 10,
                    VolumeRatio = r.NextDouble() * 3,
                    FundingPercentile = r.NextDouble() * 100,
                    LongShortRatio = 0.5 + r.NextDouble(),
                    AtrPct = r.NextDouble() * 4,
                    Dvol = Maybe(30 + (r.NextDouble() * 50)),
                    Rsi14 = Maybe(r.NextDouble() * 100),
                    OiChange24h = Maybe((r.NextDouble() - 0.5) * 20),
                },
                Session = new SessionFeatures { UtcHour = r.Next(24), IsWeekend = r.Next(7) >= 5, IsOpenWindow = r.Next(2) == 0 },
                Signal = new SignalFeatures
                {
                    Direction = r.Next(2) == 0 ? "long" : "short",
                    Strength = r.NextDouble() * 100,
                    Confidence = r.NextDouble() * 100,
                    Sources = Enumerable.Range(0, r.Next(1, 5)).Select(k => (SignalSource)$"source{k}").ToArray(),
                    HasCascadeSignal = r.Next(2) == 0,
                    HasFundingExtreme = r.Next(2) == 0,
                    HasWhaleSignal = r.Next(2) == 0,
                    AvgSentiment = Maybe((r.NextDouble() - 0.5) * 2),
                },
                Regime = new RegimeFeatures { VolatilityRegime = r.Next(3) == 0 ? "high" : "normal", MarketRegime = r.Next(3) switch { 0 => "bullish", 1 => "bearish", _ => "neutral" } },
                News = new NewsFeatures { MacroRiskEnvironment = r.Next(3) switch { 0 => "risk_on", 1 => "risk_off", _ => null } },
            };
            if (r.Next(10) < 7)
            {
                var execution = new ExecutionFeatures { EntryPrice = 100, Leverage = 3, PositionSizeUsd = 1000, StopLossDistancePct = 2, TakeProfitDistancesPct = [2, 4] };
                var outcome = new OutcomeFeatures { RealizedPnl = (r.NextDouble() - 0.45) * 100, ExitReason = "take_profit", MaxFavorableExcursion = r.NextDouble() * 5, MaxAdverseExcursion = r.NextDouble() * 2 };
                decision = decision with { Execution = execution, Outcome = outcome, Labels = FeatureLabels.Derive(execution, outcome) };
            }

            records[i] = decision;
        }

        return records;
    }
}
