using System.Text.Json;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.Serving;

/// <summary>
/// A serving bot process (the crash writer's --serve loop: a real ONNX model set scoring every decision against the
/// store's history before it is recorded) serves 500 decisions and is SIGKILLed; restarted (a) on its own log and
/// (b) on an empty directory with PostgreSQL as the history's source (AddPostgres), it serves decision 501 on with the
/// input vectors of an uninterrupted run, no score is cold after the warm start (the scoring meter's counter), and
/// <c>vince-features parity --served</c> reproduces every served score of the log.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class ServingRestartTests(PostgresFixture fixture) : IDisposable
{
    private const int Killed = 500;
    private const int After = 20;
    private const int ColdPerRun = 3 * 3; // the first three decisions of each of the three assets
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    private string Models => ServingTools.Models(_root.File("models"));

    [Fact]
    public async Task After_a_SIGKILL_a_restart_on_its_own_log_serves_decision_501_as_an_uninterrupted_run()
    {
        ServeOutput uninterrupted = await RunToEndAsync(_root.File("uninterrupted"), 1, Killed + After);
        Assert.Equal(ColdPerRun, uninterrupted.Cold); // the counter counts: a run from nothing starts cold

        string data = _root.File("killed");
        await ServeAndKillAsync(data, []);
        ServeOutput restarted = await RunToEndAsync(data, Killed + 1, After);

        Assert.Equal($"{ServingHistorySource.LocalLog}", restarted.WarmSource);
        AssertSameVectors(uninterrupted, restarted);
        Assert.Equal(0, restarted.Cold);

        JsonElement parity = await ServingTools.ParityServedAsync(data, Models);
        Assert.Equal(Killed + After, parity.GetProperty("recordsWithServedScores").GetInt32());
        Assert.Equal(Killed + After, parity.GetProperty("scoresCompared").GetInt32());
        Assert.Equal(ColdPerRun, parity.GetProperty("coldHistoryScores").GetInt32());
    }

    [PostgresFact]
    public async Task After_a_SIGKILL_a_restart_on_an_empty_directory_warm_starts_from_postgres_and_serves_decision_501_as_an_uninterrupted_run()
    {
        string connection = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("serving"));
        ServeOutput uninterrupted = await RunToEndAsync(_root.File("uninterrupted"), 1, Killed + After);

        string first = _root.File("first-host");
        await ServeAndKillAsync(first, ["--postgres", connection]); // killed once Postgres holds every record
        Assert.Equal(Killed, await Db.ScalarAsync<long>(connection, "SELECT count(*) FROM plugin_vince.paper_bot_features"));
        string second = _root.File("second-host");
        ServeOutput restarted = await RunToEndAsync(second, Killed + 1, After, ["--postgres", connection]);

        Assert.Equal($"{ServingHistorySource.TrainingSource}", restarted.WarmSource);
        AssertSameVectors(uninterrupted, restarted);
        Assert.Equal(0, restarted.Cold);

        // The whole log of both hosts: what the second host served is reproduced from the first host's records.
        string whole = _root.File("whole-log");
        Directory.CreateDirectory(whole);
        foreach (string file in Directory.GetFiles(first, "features_*.jsonl").Concat(Directory.GetFiles(second, "features_*.jsonl")))
        {
            File.Copy(file, Path.Combine(whole, Path.GetFileName(file)));
        }

        JsonElement parity = await ServingTools.ParityServedAsync(whole, Models);
        Assert.Equal(Killed + After, parity.GetProperty("scoresCompared").GetInt32());
        Assert.Equal(ColdPerRun, parity.GetProperty("coldHistoryScores").GetInt32());

        // Without the first host's records the second host's served lags are not reproduced: the check can fail.
        JsonElement alone = await ServingTools.ParityServedAsync(second, Models, expectedExit: 1);
        Assert.True(alone.GetProperty("differenceCount").GetInt64() > 0);
    }

    private static void AssertSameVectors(ServeOutput uninterrupted, ServeOutput restarted)
    {
        Assert.Equal(After, restarted.Vectors.Count);
        for (int n = Killed + 1; n <= Killed + After; n++)
        {
            Assert.True(uninterrupted.Vectors[n] == restarted.Vectors[n], $"decision {n}: the restarted run served\n{restarted.Vectors[n]}\nthe uninterrupted run\n{uninterrupted.Vectors[n]}");
        }

        Assert.StartsWith("0 ", restarted.Vectors[Killed + 1], StringComparison.Ordinal); // not cold
    }

    /// <summary>Serves decisions 1..500 (and waits for the sinks), then SIGKILLs the process while it holds the store open.</summary>
    private async Task ServeAndKillAsync(string data, string[] extra)
    {
        using CrashWriterProcess writer = CrashWriterProcess.Start(data, ["--serve", Models, "--count", $"{Killed}", "--hold", .. extra]);
        List<string> lines = await writer.ReadLinesUntilAsync("HELD", Timeout);
        Assert.Contains($"ACK {Killed}", lines);
        await writer.KillAsync();
    }

    private async Task<ServeOutput> RunToEndAsync(string data, int from, int count, string[]? extra = null)
    {
        using CrashWriterProcess writer = CrashWriterProcess.Start(data, ["--serve", Models, "--from", $"{from}", "--count", $"{count}", .. extra ?? []]);
        string output = await writer.WaitForCleanExitAsync(Timeout);
        return ServeOutput.Parse(output);
    }

    /// <summary>What a --serve run printed: the warm-start source, each decision's "cold vector", the cold-history counter.</summary>
    private sealed record ServeOutput(string WarmSource, Dictionary<int, string> Vectors, long Cold)
    {
        public static ServeOutput Parse(string output)
        {
            string warm = "";
            long cold = -1;
            var vectors = new Dictionary<int, string>();
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                string[] parts = line.Split(' ', 3);
                switch (parts[0])
                {
                    case "WARM":
                        warm = parts[1];
                        break;
                    case "VECTOR":
                        vectors[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)] = parts[2];
                        break;
                    case "COLD":
                        cold = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                        break;
                }
            }

            Assert.NotEqual(-1, cold);
            return new ServeOutput(warm, vectors, cold);
        }
    }
}
