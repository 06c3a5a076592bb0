using System.Text.Json;
using System.Text.RegularExpressions;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.Serving;

/// <summary>
/// The sample bot with <c>--models</c>, as a process: every decision is scored before it is recorded, the served scores
/// are in every record, a trade the signal-quality model rejects is recorded as avoided, the summary counts the
/// scores, and <c>parity --served</c> reproduces every one of them from the log.
/// </summary>
public sealed class SampleServingTests : IDisposable
{
    private const double Threshold = 0.58; // the trees give this sample's decisions about 0.56 to 0.66: both sides occur
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task The_sample_with_models_scores_every_decision_before_recording_it_and_parity_reproduces_them()
    {
        string models = ServingTools.Models(_root.File("models"), Threshold);
        string data = _root.File("features");

        (int exitCode, string stdout, string stderr) = await SampleProcess.RunAsync(["--trades", "40", "--data-dir", data, "--models", models],
            new Dictionary<string, string?> { ["POSTGRES_URL"] = null, ["SUPABASE_URL"] = null });

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        var records = new List<FeatureRecord>();
        await foreach (FeatureRecord record in new FeatureLogReader(data).ReadRecordsAsync())
        {
            records.Add(record);
        }

        Assert.All(records, r => Assert.True(r.ExtensionData?.ContainsKey(ScoredDecision.ServedKey) == true, $"{r.Id} keeps no served scores"));
        int cold = records.Count(r => r.ExtensionData![ScoredDecision.ServedKey].GetProperty("signal_quality").GetProperty("coldLags").GetBoolean());
        Match summary = Regex.Match(stdout, @"(?m)^\s*scored (\d+) decisions, (\d+) with cold history$");
        Assert.True(summary.Success, stdout);
        Assert.Equal(records.Count, int.Parse(summary.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(cold, int.Parse(summary.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(4 * 3, cold); // the first three decisions of each of the four assets

        List<FeatureRecord> vetoed = records.Where(r => r.Avoided?.Reason?.StartsWith("signal quality", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(vetoed);
        Assert.All(vetoed, r => Assert.True(
            r.ExtensionData![ScoredDecision.ServedKey].GetProperty("signal_quality").GetProperty("calibrated").GetDouble() < Threshold, $"{r.Id} was vetoed above the threshold"));
        Assert.All(records.Where(r => r.Execution is not null), r => Assert.True(
            r.ExtensionData![ScoredDecision.ServedKey].GetProperty("signal_quality").GetProperty("calibrated").GetDouble() >= Threshold, $"{r.Id} was traded below the threshold"));
        Assert.Contains(records, r => r.IsComplete);

        JsonElement parity = await ServingTools.ParityServedAsync(data, models);
        Assert.Equal(records.Count, parity.GetProperty("scoresCompared").GetInt32());
        Assert.Equal(cold, parity.GetProperty("coldHistoryScores").GetInt32());
    }
}
