using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Drift;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Training.Tests.Support;

namespace Vince.FeatureStore.Training.Tests.Drift;

/// <summary>
/// The drift files of a real .NET-trained model set (<c>feature_bins.json</c>, <c>model_report.json</c>) and the drift
/// health check on live records written by the real store: one market column moved by five standard deviations makes
/// the check Degraded naming that column; records from the same generator with another seed keep it Healthy.
/// </summary>
public sealed partial class FeatureDriftTests(TrainedModelsFixture fixture) : IClassFixture<TrainedModelsFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_trainer_stores_bins_for_every_model_input_and_holdout_curves_that_match_the_metadata()
    {
        FeatureBins bins = FeatureBins.TryLoad(fixture.ModelsDirectory)!;
        Assert.NotNull(bins);
        var inputs = fixture.Report.Models.SelectMany(m => m.FeatureNames).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(inputs, bins.Columns.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.True(bins.Records > TrainedModelsFixture.Trades, "every record (avoided ones too) is a reference record");
        foreach (ColumnBins column in bins.Columns)
        {
            Assert.Equal(1, column.Proportions.Sum(), 6);
            Assert.Equal(column.Edges.Count + 1, column.Proportions.Count);
            Assert.True(column.Edges.Zip(column.Edges.Skip(1)).All(p => p.First < p.Second), $"{column.Name}: edges ascend");
        }

        ColumnBins volume = bins.Columns.Single(c => c.Name == "market_volumeRatio");
        Assert.Equal(FeatureBinsBuilder.MaxBins, volume.Proportions.Count); // a continuous column gets deciles
        Assert.Equal(1.5, volume.Mean, 1);
        Assert.Equal(TradeDataSet.VolumeRatioStdDev, volume.StdDev, 1);
        Assert.True(bins.Columns.Single(c => c.Name == "market_volumeRatio_lag1").IsLag);

        // The curves: the AUC is the metadata's, and the area under the stored ROC points (trapezoids) is that AUC.
        ModelSetReport report = ModelSetReport.TryLoad(fixture.ModelsDirectory)!;
        HoldoutCurves curves = report.Models["signal_quality"];
        TrainingMetadata metadata = TrainingMetadata.Load(Path.Combine(fixture.ModelsDirectory, TrainingMetadata.FileName));
        double metadataAuc = metadata.ImprovementReport!.HoldoutMetrics!.Value.GetProperty("signal_quality").GetProperty("holdout_auc").GetDouble();
        Assert.Equal(metadataAuc, curves.Auc);
        Assert.Equal(new RocPoint(0, 0), curves.Roc[0]);
        Assert.Equal(new RocPoint(1, 1), curves.Roc[^1]);
        double area = curves.Roc.Zip(curves.Roc.Skip(1)).Sum(p => (p.Second.FalsePositiveRate - p.First.FalsePositiveRate) * (p.First.TruePositiveRate + p.Second.TruePositiveRate) / 2);
        Assert.Equal(metadataAuc, area, 4);
        Assert.Equal(fixture.Report.Models.Single(m => m.Name == "signal_quality").HoldoutRows, curves.BeforeCalibration.Sum(b => b.Count));
        Assert.Equal(curves.HoldoutRows, curves.AfterCalibration.Sum(b => b.Count));
        Assert.Equal(metadata.ImprovementReport.SignalQualityCalibration!.Scale, curves.Platt!.Scale);
        Assert.DoesNotContain("position_sizing", report.Models.Keys); // a regressor has no ROC curve
    }

    [Fact]
    public async Task A_market_column_shifted_by_five_standard_deviations_makes_the_health_check_degraded_naming_it_and_its_gauge_high()
    {
        string live = Path.Combine(_dir.Path, "shifted");
        await TradeDataSet.WriteAsync(live, trades: 480, seed: 29, shift: TradeDataSet.ShiftVolumeRatio(5));
        using var gauge = new PsiListener();
        Dictionary<string, double> measured = [];

        HealthReportEntry entry = await DriftCheckAsync(live, whileRunning: () => measured = gauge.Collect());

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("market_volumeRatio (PSI", entry.Description, StringComparison.Ordinal);
        string[] drifted = (string[])entry.Data["driftedColumns"];
        Assert.Contains("market_volumeRatio", drifted);
        Assert.All(drifted, c => Assert.StartsWith("market_volumeRatio", c, StringComparison.Ordinal)); // it and its lags, nothing else
        double psi = (double)entry.Data["psi:market_volumeRatio"];
        Assert.True(psi > 2, $"PSI of the shifted column: {psi}");
        Assert.True((double)entry.Data["psi:market_fundingPercentile"] < FeatureDriftSettings.DefaultThreshold);

        // The gauge publishes the same PSI per column, with the tag docs/metrics.md documents.
        Assert.Equal(psi, measured["market_volumeRatio"], 4);
        Assert.Equal(((string[])entry.Data["driftedColumns"]).Length, measured.Count(m => m.Value > FeatureDriftSettings.DefaultThreshold));
        Assert.Equal(("observable gauge", "1", "column"), DocumentedGauge());
        Assert.Equal(("1", "column"), (gauge.Unit, gauge.TagKeys.Single()));
    }

    [Fact]
    public async Task Records_from_the_same_market_keep_the_health_check_healthy()
    {
        string live = Path.Combine(_dir.Path, "unshifted");
        await TradeDataSet.WriteAsync(live, trades: 480, seed: 29);

        HealthReportEntry entry = await DriftCheckAsync(live);

        Assert.True(entry.Status == HealthStatus.Healthy, entry.Description);
        Assert.Empty((string[])entry.Data["driftedColumns"]);
        Assert.Equal(FeatureDriftSettings.DefaultRecentRecords, entry.Data["recentRecords"]);
        Assert.Contains("No feature drift over the last 500 record(s)", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_set_without_bins_makes_the_drift_check_degraded_saying_so()
    {
        string live = Path.Combine(_dir.Path, "live");
        await TradeDataSet.WriteAsync(live, trades: 40, seed: 3);
        string models = Path.Combine(_dir.Path, "python-set");
        Directory.CreateDirectory(models);

        HealthReportEntry entry = await DriftCheckAsync(live, models);

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("has no feature_bins.json", entry.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_retrain_on_drift_a_due_training_runs_only_when_the_live_records_drifted(bool shifted)
    {
        string live = Path.Combine(_dir.Path, "live");
        await TradeDataSet.WriteAsync(live, trades: 480, seed: 29, shift: shifted ? TradeDataSet.ShiftVolumeRatio(5) : null);
        string models = Path.Combine(_dir.Path, "installed");
        Directory.CreateDirectory(models);
        foreach (string file in Directory.GetFiles(fixture.ModelsDirectory))
        {
            File.Copy(file, Path.Combine(models, Path.GetFileName(file)));
        }

        // Installed two days ago: the time rule (24 h) lets a training run.
        string stampFile = Path.Combine(models, "last_train_at.txt");
        string stamp = DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(stampFile, stamp);
        var logs = new FakeLogCollector();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = live;
            o.FsyncOnWrite = false;
        })
            .AddOnnxScoring(o => o.ModelsDirectory = models)
            .AddTrainingWhenReady(t =>
            {
                t.ModelsDirectory = models;
                t.RetrainOnDrift = true;
                t.UploadToBucket = false;
                t.UseDotnetTrainer(o => o.NumberOfTrees = 10);
            });
        using IHost host = builder.Build();
        await host.StartAsync();
        try
        {
            int expected = shifted ? 3055 : 3054; // drift triggered / no drift, set kept
            await TestStores.EventuallyAsync(() => logs.GetSnapshot().Any(r => r.Id.Id is 3054 or 3055), "the first check to judge the drift", 120_000);
            FakeLogRecord verdict = Assert.Single(logs.GetSnapshot(), r => r.Id.Id is 3054 or 3055);
            Assert.Equal(expected, verdict.Id.Id);
            if (shifted)
            {
                Assert.Contains("market_volumeRatio (PSI", verdict.Message, StringComparison.Ordinal);
                await TestStores.EventuallyAsync(() => File.ReadAllText(stampFile) != stamp, "the drift-triggered training to install a new set", 120_000);
            }
            else
            {
                Assert.Contains("No feature drift", verdict.Message, StringComparison.Ordinal);
                Assert.Equal(stamp, File.ReadAllText(stampFile)); // nothing trained, nothing installed
            }
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private async Task<HealthReportEntry> DriftCheckAsync(string liveData, string? models = null, Action? whileRunning = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = liveData;
            o.FsyncOnWrite = false;
        });
        builder.Services.AddHealthChecks().AddVinceFeatureStoreChecks(o => o.DriftModelsDirectory = models ?? fixture.ModelsDirectory);
        using IHost host = builder.Build();
        await host.StartAsync();
        try
        {
            HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            Assert.Contains("vince-featurestore:drift", report.Entries.Keys);
            whileRunning?.Invoke(); // the gauge lives as long as the host
            return report.Entries["vince-featurestore:drift"];
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>The row of <c>vince.featurestore.drift.psi</c> in docs/metrics.md: instrument, unit and tags.</summary>
    private static (string Kind, string Unit, string Tags) DocumentedGauge()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryPaths.Root(), "docs", "metrics.md"));
        Match row = GaugeRow().Match(doc);
        Assert.True(row.Success, "docs/metrics.md documents vince.featurestore.drift.psi");
        return (row.Groups["kind"].Value.Trim(), row.Groups["unit"].Value, row.Groups["tags"].Value.Trim().Trim('`'));
    }

    [GeneratedRegex(@"^\| Vince\.FeatureStore\.Drift \| vince\.featurestore\.drift\.psi \| (?<kind>[a-z ]+) \| `(?<unit>[^`]*)` \| (?<tags>[^|]*)\|", RegexOptions.Multiline)]
    private static partial Regex GaugeRow();

    /// <summary>Listens to the drift gauge of the meter <c>Vince.FeatureStore.Drift</c>.</summary>
    private sealed class PsiListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);

        public PsiListener()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == FeatureDriftMonitor.MeterName && instrument.Name == "vince.featurestore.drift.psi")
                {
                    Unit = instrument.Unit;
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            {
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    TagKeys.Add(tag.Key);
                    _values[(string)tag.Value!] = value;
                }
            });
            _listener.Start();
        }

        public string? Unit { get; private set; }

        public HashSet<string> TagKeys { get; } = [];

        public Dictionary<string, double> Collect()
        {
            _listener.RecordObservableInstruments();
            return new Dictionary<string, double>(_values, StringComparer.Ordinal);
        }

        public void Dispose() => _listener.Dispose();
    }
}
