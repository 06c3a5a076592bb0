using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Npgsql;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.BadInput;

/// <summary>
/// The bad-input corpus of tests/bad-input, driven by its cases.json (expectations written by hand from FORMATS.md):
/// every JSONL case gets a logged skip (event 1001 from the reader, 1012 from a sink's shipper, naming the file and
/// line) or is read as documented, and the good records in it and in the files around it are all kept — by the reader,
/// by the training export and by two sinks (a recording sink and the real PostgreSQL sink). Every model and metadata
/// case is a clear <see cref="OnnxModelLoadException"/> naming the file, or loads with a logged problem (event 3009);
/// on a hot reload a bad file leaves the previous model in use.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class BadInputCorpusTests(PostgresFixture fixture)
{
    private static readonly JsonElement Cases = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(CorpusCase.CorpusDirectory, "cases.json"))).RootElement;
    private static int s_tables;

    public static TheoryData<string> JsonlCases => [.. Files("jsonl")];

    public static TheoryData<string> ModelCases => [.. Files("models")];

    [Fact]
    public void The_corpus_has_at_least_40_cases_and_every_file_in_it_is_a_case()
    {
        var named = Files("jsonl").Concat(Files("models")).ToList();
        Assert.True(named.Count >= 40, $"only {named.Count} cases");
        Assert.Equal(named.Count, named.Distinct().Count());
        var files = Directory.GetFiles(CorpusCase.CorpusDirectory).Select(Path.GetFileName).Where(f => f is not ("cases.json" or "README.md" or ModelCase.ValidMetadata)).ToList();
        Assert.Empty(files.Except(named));
        Assert.All(Files("jsonl").Concat(Files("models").Where(n => !Case("models", n).TryGetProperty("generated", out _))), n => Assert.Contains(n, files));
    }

    [PostgresTheory]
    [MemberData(nameof(JsonlCases))]
    public async Task A_bad_JSONL_case_is_skipped_with_a_warning_and_every_good_record_around_it_is_kept(string file)
    {
        JsonElement expected = Case("jsonl", file);
        string[] inFile = expected.GetProperty("kept").EnumerateArray().Select(e => e.GetString()!).ToArray();
        string[] kept = [CorpusCase.BeforeId, .. inFile, CorpusCase.AfterId];
        int skipped = expected.GetProperty("skipped").GetInt32();
        string? reason = expected.TryGetProperty("reason", out JsonElement r) ? r.GetString() : null;
        using var corpus = new CorpusCase(file);

        // The reader: the kept ids, a warning per skipped line naming the file and line.
        (Dictionary<string, FeatureRecord> records, long readerSkipped, List<CapturedLog> readerLogs) = await corpus.ReadAsync();
        Assert.Equal(kept.Order(StringComparer.Ordinal), records.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(skipped, readerSkipped);
        List<CapturedLog> warnings = readerLogs.Where(l => l.EventId.Id == 1001).ToList();
        Assert.Equal(skipped, warnings.Count);
        Assert.All(warnings, w =>
        {
            Assert.Equal(LogLevel.Warning, w.Level);
            Assert.Matches(@"^Skipped invalid line \d+ of features_2026-01-22_1769100000001\.jsonl: .+", w.Message);
            if (reason is not null)
            {
                Assert.Contains(reason, w.Message, StringComparison.Ordinal);
            }
        });
        Assert.DoesNotContain(readerLogs, l => l.Level >= LogLevel.Error);
        AssertValues(expected, id => FeatureJson.Serialize(records[id]));

        // The training export: one row per kept record (all of the corpus's good records are complete trades).
        (List<string> exportIds, int rows) = await corpus.ExportAsync();
        Assert.Equal(kept.Length, rows);
        Assert.Contains(CorpusCase.BeforeId, exportIds);
        Assert.Contains(CorpusCase.AfterId, exportIds);

        // Two sinks through the real pipeline: a recording sink and the PostgreSQL sink (its own table per case).
        string database = await DatabaseAsync();
        string connection = fixture.Cluster.ConnectionString(database, pooling: false);
        string table = $"case_{Interlocked.Increment(ref s_tables)}";
        var recording = new RecordingSink("recording");
        using var capture = new CapturingLoggerProvider();
        using (var loggers = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace)))
        await using (var postgres = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = connection, Schema = "corpus", Table = table }))
        await using (var store = new FeatureStore(TestStores.Options(corpus.DataDirectory), [recording, postgres], loggers))
        {
            await store.StartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await store.WaitForSinksAsync(timeout.Token);
            Assert.All(store.GetSinkStatuses(), s => Assert.Equal(0, s.ConsecutiveFailures));
        }

        foreach (string sink in new[] { "recording", "postgres" })
        {
            List<CapturedLog> skips = capture.Logs.Where(l => l.EventId.Id == 1012 && l.Message.StartsWith($"Sink {sink} skipped", StringComparison.Ordinal)).ToList();
            Assert.Equal(skipped, skips.Count);
            Assert.All(skips, s => Assert.Contains("features_2026-01-22_1769100000001.jsonl:", s.Message, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(capture.Logs, l => l.Level >= LogLevel.Error);
        Dictionary<string, FeatureRecord> shipped = recording.Table();
        Assert.Equal(kept.Order(StringComparer.Ordinal), shipped.Keys.Order(StringComparer.Ordinal));
        AssertValues(expected, id => FeatureJson.Serialize(shipped[id]));

        var stored = await Db.RowsAsync(connection, $"corpus.{table}");
        Assert.Equal(kept.Order(StringComparer.Ordinal), stored.Keys.Order(StringComparer.Ordinal));
        foreach (string id in kept)
        {
            // PostgreSQL cannot store U+0000: the sink stores U+FFFD instead (documented; the log keeps the original).
            JsonNode? want = JsonNode.Parse(FeatureJson.Serialize(records[id]).Replace("\\u0000", "\\uFFFD", StringComparison.Ordinal));
            Assert.True(JsonNode.DeepEquals(want, JsonNode.Parse(stored[id].Payload)), $"{file}: Postgres holds another payload for {id}");
            Assert.Equal(Db.Utc(records[id].Timestamp), stored[id].CreatedAt);
        }
    }

    [Theory]
    [MemberData(nameof(ModelCases))]
    public async Task A_bad_model_or_metadata_file_is_a_clear_error_or_a_logged_problem_and_a_reload_keeps_the_previous_model(string file)
    {
        JsonElement expected = Case("models", file);
        string[] error = expected.TryGetProperty("error", out JsonElement e) ? e.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
        string? warning = expected.TryGetProperty("warning", out JsonElement w) ? w.GetString() : null;
        bool loads = expected.TryGetProperty("loads", out JsonElement l) && l.GetBoolean();
        Assert.True(loads ^ (error.Length > 0), $"{file}: a case either loads or is an error");

        // At start-up.
        using (var models = new ModelCase())
        using (var capture = new CapturingLoggerProvider())
        using (var loggers = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace)))
        {
            models.WriteValidPair();
            WriteCase(models, file, expected);
            if (loads)
            {
                using OnnxSignalQualityScorer scorer = models.Scorer(loggers);
                Assert.NotNull(scorer.Model);
                Assert.Equal(ModelCase.FeatureNames, scorer.Model!.FeatureNames);
                double p = scorer.Score(TestRecords.Decision("probe")).Probability;
                Assert.InRange(p, 0, 1);
            }
            else
            {
                OnnxModelLoadException thrown = Assert.Throws<OnnxModelLoadException>(() => models.Scorer(loggers));
                Assert.All(error, part => Assert.Contains(part, thrown.Message, StringComparison.Ordinal));
                Assert.Contains(models.ModelsDirectory, thrown.Message, StringComparison.Ordinal);
            }

            AssertWarning(capture, warning);
        }

        // On a hot reload: a bad file is reported and the previous model stays in use.
        using (var models = new ModelCase())
        using (var capture = new CapturingLoggerProvider())
        using (var loggers = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace)))
        {
            models.WriteValidPair();
            using OnnxSignalQualityScorer scorer = models.Scorer(loggers);
            OnnxModelInfo before = scorer.Model!;
            double p = scorer.Score(TestRecords.Decision("probe")).Probability;
            WriteCase(models, file, expected);
            if (loads)
            {
                Assert.NotNull(await scorer.ReloadAsync());
            }
            else
            {
                OnnxModelLoadException thrown = await Assert.ThrowsAsync<OnnxModelLoadException>(() => scorer.ReloadAsync());
                Assert.All(error, part => Assert.Contains(part, thrown.Message, StringComparison.Ordinal));
                Assert.Same(before, scorer.Model);
                Assert.Same(thrown, scorer.LastReloadError);
                Assert.Equal(p, scorer.Score(TestRecords.Decision("probe")).Probability);
            }

            AssertWarning(capture, warning);
        }
    }

    private static void WriteCase(ModelCase models, string file, JsonElement expected)
    {
        if (expected.TryGetProperty("generated", out _))
        {
            byte[] valid = ModelCase.ValidModel();
            File.WriteAllBytes(models.ModelPath, valid[..(valid.Length / 2)]);
        }
        else
        {
            models.WriteCase(file);
        }
    }

    private static void AssertWarning(CapturingLoggerProvider capture, string? warning)
    {
        if (warning is not null)
        {
            Assert.Contains(capture.Logs, log => log.EventId.Id == 3009 && log.Level == LogLevel.Warning && log.Message.Contains(warning, StringComparison.Ordinal));
        }
    }

    /// <summary>Checks the hand-written JSON pointer → value pairs of a case against a kept record's JSON.</summary>
    private static void AssertValues(JsonElement expected, Func<string, string> json)
    {
        if (!expected.TryGetProperty("values", out JsonElement values))
        {
            return;
        }

        foreach (JsonProperty record in values.EnumerateObject())
        {
            JsonNode? root = JsonNode.Parse(json(record.Name));
            foreach (JsonProperty pointer in record.Value.EnumerateObject())
            {
                JsonNode? actual = root;
                foreach (string step in pointer.Name.Split('/', StringSplitOptions.RemoveEmptyEntries))
                {
                    actual = actual is JsonArray array ? array[int.Parse(step, System.Globalization.CultureInfo.InvariantCulture)] : actual?[step];
                }

                if (pointer.Value.ValueKind == JsonValueKind.Object && pointer.Value.TryGetProperty("repeat", out JsonElement repeat))
                {
                    Assert.Equal(new string(repeat.GetString()![0], pointer.Value.GetProperty("count").GetInt32()), actual?.GetValue<string>());
                }
                else
                {
                    Assert.True(JsonNode.DeepEquals(JsonNode.Parse(pointer.Value.GetRawText()), actual), $"{record.Name}{pointer.Name}: expected {pointer.Value.GetRawText()}, got {actual?.ToJsonString() ?? "null"}");
                }
            }
        }
    }

    private static IEnumerable<string> Files(string kind) => Cases.GetProperty(kind).EnumerateArray().Select(c => c.GetProperty("file").GetString()!);

    private static JsonElement Case(string kind, string file)
        => Cases.GetProperty(kind).EnumerateArray().Single(c => c.GetProperty("file").GetString() == file);

    private string? _database;

    private async Task<string> DatabaseAsync() => _database ??= await fixture.Cluster.CreateDatabaseAsync("corpus");
}
