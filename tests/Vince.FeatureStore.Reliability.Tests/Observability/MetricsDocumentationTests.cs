using System.Text.RegularExpressions;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.Observability;

/// <summary>
/// docs/metrics.md lists every instrument (name, kind, unit, tags). This run makes every instrument measure at least
/// once where a scenario can (all but the log's I/O errors) and compares what a MeterListener sees with the table, so
/// the documentation cannot drift from the code.
/// </summary>
public sealed partial class MetricsDocumentationTests
{
    [Fact]
    public async Task The_documented_instruments_are_exactly_the_published_ones_with_their_units_and_tags()
    {
        List<(string Name, string Kind, string Unit, string[] Tags)> documented = ReadTable();
        Assert.True(documented.Count >= 10, "the metrics table of docs/metrics.md was not found");

        using var metrics = new MetricsCapture();
        using var dir = new TempDirectory();
        // A line a sink must skip, next to a good one, already in the log.
        File.WriteAllLines(dir.File("features_2026-01-22_1769100000000.jsonl"), ["{\"id\": tor", TestRecords.Line(TestRecords.Decision("old"))]);
        var sink = new RecordingSink("docs") { FailWhen = attempt => attempt == 1, RefuseWhen = r => r.Id == "refused" };
        var store = new FeatureStore(TestStores.Options(dir.Path, o =>
        {
            o.QueueCapacity = 2;
            o.QueueFullMode = QueueFullMode.DropAndCount;
        }), [sink], meterFactory: metrics.Factory);
        try
        {
            // Not started yet: the third version finds the queue full and is dropped.
            store.Record(TestRecords.Decision("a"));
            store.Record(TestRecords.Decision("b"));
            store.Record(TestRecords.Decision("c"));
            await store.StartAsync();
            await store.FlushAsync(); // room in the queue again
            store.Record(TestRecords.Decision("poison") with { ExtensionData = new() { ["broken"] = default } });
            store.RecordOutcome("no-such-id", TestRecords.Win());
            await store.FlushAsync();
            store.Record(TestRecords.Decision("refused")); // parked in the dead-letter file
            store.Record(TestRecords.Decision("accepted"));
            await store.FlushAsync();
            metrics.Collect();
            await store.WaitForSinksAsync();
        }
        finally
        {
            await store.DisposeAsync();
        }

        Assert.Equal(
            documented.Select(d => (d.Name, d.Kind, d.Unit)).Order(),
            metrics.Instruments.Values.Select(i => (i.Name, i.Kind, i.Unit ?? "")).Order());
        foreach (PublishedInstrument instrument in metrics.Instruments.Values)
        {
            Assert.False(string.IsNullOrWhiteSpace(instrument.Description), $"{instrument.Name} has no description");
        }

        // Every instrument but the log's I/O error counter measured something here, with exactly the documented tag keys.
        foreach ((string name, _, _, string[] tags) in documented)
        {
            var seen = metrics.Measurements.Where(m => m.Name == name).ToList();
            if (name == "vince.featurestore.log.errors")
            {
                Assert.Empty(seen);
                continue;
            }

            Assert.True(seen.Count > 0, $"{name} measured nothing in the scenario");
            foreach (var measurement in seen)
            {
                Assert.Equal(tags.Order(), measurement.Tags.Select(t => t.Key).Order());
            }
        }

        Assert.Equal(1, metrics.Sum("vince.featurestore.records.dropped"));
        Assert.Equal(1, metrics.Sum("vince.featurestore.records.rejected"));
        Assert.Equal(1, metrics.Sum("vince.featurestore.records.unmatched_updates"));
        Assert.Equal(1, metrics.Sum("vince.featurestore.log.skipped_lines", new("sink", "docs")));
        Assert.Equal(1, metrics.Sum("vince.featurestore.sink.retries", new("sink", "docs")));
        Assert.Equal(4, metrics.Sum("vince.featurestore.sink.written", new("sink", "docs"))); // old, a, b, accepted
        Assert.Equal(1, metrics.Sum("vince.featurestore.sink.dead_lettered", new("sink", "docs"))); // refused
    }

    private static List<(string Name, string Kind, string Unit, string[] Tags)> ReadTable()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryPaths.Root(), "docs", "metrics.md"));
        // Only the "## Metrics" section: it documents the meter Vince.FeatureStore; the training meters have their own section.
        int start = doc.IndexOf("\n## Metrics\n", StringComparison.Ordinal);
        int end = doc.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/metrics.md has no '## Metrics' section");
        doc = end < 0 ? doc[start..] : doc[start..end];
        return TableRow().Matches(doc)
            .Select(m => (
                m.Groups["name"].Value,
                m.Groups["kind"].Value.Trim(),
                m.Groups["unit"].Value,
                m.Groups["tags"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.Trim('`')).ToArray()))
            .ToList();
    }

    [GeneratedRegex(@"^\| `(?<name>vince\.[a-z_.]+)` \| (?<kind>[a-z -]+) \| `(?<unit>[^`]*)` \| (?<tags>[^|]*)\|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
