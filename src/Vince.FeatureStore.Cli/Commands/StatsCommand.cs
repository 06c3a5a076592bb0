using System.Globalization;
using Vince.FeatureStore.Cli.CommandLine;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>stats</c>: what a feature data directory holds, from one scan of the record headers.</summary>
internal static class StatsCommand
{
    public static CommandSpec Spec { get; } = new()
    {
        Name = "stats",
        Summary = "Summarise a feature data directory: records, versions, complete trades, per asset, date range and files.",
        Details =
        [
            "A record is one decision id; every line written for it (decision, execution, outcome) is a version, and the latest version counts. " +
            "A complete trade has an outcome and labels: the rows training waits for (90 by default). Invalid lines (such as a torn last line " +
            "after a crash) are skipped and counted.",
            "With --source postgres or supabase the table is read (one row per id, its latest version): the same record counts, " +
            "without versions and files. In JSON, dataDirectory then names the table.",
        ],
        Options = [.. RecordSource.Options, CommonOptions.Json],
        Examples =
        [
            "vince-features stats --data .elizadb/vince-paper-bot/features",
            "vince-features stats --json",
            "vince-features stats --source postgres --postgres-url postgresql://bot@localhost/app",
        ],
        Run = RunAsync,
    };

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        await using OpenedSource source = RecordSource.OpenStore(context, options);
        FeatureLogSummary summary;
        if (source.Log is { } reader)
        {
            IReadOnlyList<string> files = reader.GetFiles();
            context.Info($"stats: scanning {files.Count} file(s), {Format.Bytes(files.Sum(f => new FileInfo(f).Length))}");
            summary = await reader.GetSummaryAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            context.Info($"stats: reading {source.Location}");
            summary = await SummarizeAsync(source, cancellationToken).ConfigureAwait(false);
        }

        if (summary.Records == 0)
        {
            context.WriteError($"warning: no records: {source.LookedAt}.");
        }

        bool table = source.Log is null;
        if (options.Flag("json"))
        {
            WriteJson(context.Out, summary, table);
        }
        else
        {
            WriteText(context.Out, summary, table);
        }

        return VinceFeaturesCli.Success;
    }

    /// <summary>The log's summary figures from a table's records (one per id): streamed, one entry per asset.</summary>
    private static async Task<FeatureLogSummary> SummarizeAsync(OpenedSource source, CancellationToken cancellationToken)
    {
        var assets = new SortedDictionary<string, (int Records, int Complete, long First, long Last)>(StringComparer.Ordinal);
        int records = 0;
        int complete = 0;
        await foreach (FeatureRecord record in source.Query.ReadRecordsAsync(null, cancellationToken).ConfigureAwait(false))
        {
            records++;
            int done = record.IsComplete ? 1 : 0;
            complete += done;
            string asset = record.Asset ?? "";
            assets[asset] = assets.TryGetValue(asset, out var a)
                ? (a.Records + 1, a.Complete + done, Math.Min(a.First, record.Timestamp), Math.Max(a.Last, record.Timestamp))
                : (1, done, record.Timestamp, record.Timestamp);
        }

        return new FeatureLogSummary
        {
            DataDirectory = source.Location,
            Files = [],
            Versions = records,
            Records = records,
            CompleteRecords = complete,
            FirstTimestamp = records == 0 ? null : assets.Values.Min(a => a.First),
            LastTimestamp = records == 0 ? null : assets.Values.Max(a => a.Last),
            Assets = [.. assets.Select(a => new FeatureLogAssetSummary(a.Key, a.Value.Records, a.Value.Complete, a.Value.First, a.Value.Last))],
        };
    }

    private static void WriteText(TextWriter output, FeatureLogSummary summary, bool table)
    {
        if (table)
        {
            output.WriteLine($"source:          {summary.DataDirectory} (one row per id, its latest version)");
        }
        else
        {
            output.WriteLine($"data directory:  {summary.DataDirectory}");
            output.WriteLine($"files:           {summary.Files.Count} ({Format.Bytes(summary.Files.Sum(f => f.Bytes))})");
            output.WriteLine($"versions:        {Format.Count(summary.Versions)} (valid lines; {Format.Count(summary.SkippedLines)} invalid skipped)");
        }

        output.WriteLine($"records:         {Format.Count(summary.Records)}");
        string share = summary.Records == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({100.0 * summary.CompleteRecords / summary.Records:0.0}% of records)");
        output.WriteLine($"complete trades: {Format.Count(summary.CompleteRecords)}{share}");
        output.WriteLine(summary.FirstTimestamp is { } first && summary.LastTimestamp is { } last
            ? $"date range:      {Format.Time(first)} .. {Format.Time(last)}"
            : "date range:      none (no records)");

        output.WriteLine();
        output.WriteLine($"assets: {summary.Assets.Count}");
        if (summary.Assets.Count > 0)
        {
            TextTable.Write(output, "  ", ["asset", "records", "complete", "first", "last"],
                summary.Assets.Select(a => new[] { a.Asset.Length == 0 ? "(none)" : a.Asset, Format.Count(a.Records), Format.Count(a.CompleteRecords), Format.Time(a.FirstTimestamp), Format.Time(a.LastTimestamp) }).ToList(),
                new HashSet<int> { 1, 2 });
        }

        if (table)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine($"files: {summary.Files.Count}");
        if (summary.Files.Count > 0)
        {
            TextTable.Write(output, "  ", ["file", "size", "versions", "skipped"],
                summary.Files.Select(f => new[] { Path.GetFileName(f.Path), Format.Bytes(f.Bytes), Format.Count(f.Versions), Format.Count(f.SkippedLines) }).ToList(),
                new HashSet<int> { 1, 2, 3 });
        }
    }

    private static void WriteJson(TextWriter output, FeatureLogSummary summary, bool table) => Format.Json(output, json =>
    {
        json.WriteStartObject();
        json.WriteString("dataDirectory", summary.DataDirectory);
        if (table)
        {
            json.WriteString("source", summary.DataDirectory);
        }

        json.WriteNumber("records", summary.Records);
        json.WriteNumber("completeRecords", summary.CompleteRecords);
        json.WriteNumber("versions", summary.Versions);
        json.WriteNumber("skippedLines", summary.SkippedLines);
        WriteRange(json, summary.FirstTimestamp, summary.LastTimestamp);
        json.WriteStartArray("assets");
        foreach (FeatureLogAssetSummary asset in summary.Assets)
        {
            json.WriteStartObject();
            json.WriteString("asset", asset.Asset);
            json.WriteNumber("records", asset.Records);
            json.WriteNumber("completeRecords", asset.CompleteRecords);
            WriteRange(json, asset.FirstTimestamp, asset.LastTimestamp);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("files");
        foreach (FeatureLogFileSummary file in summary.Files)
        {
            json.WriteStartObject();
            json.WriteString("path", file.Path);
            json.WriteNumber("bytes", file.Bytes);
            json.WriteNumber("versions", file.Versions);
            json.WriteNumber("skippedLines", file.SkippedLines);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    });

    private static void WriteRange(System.Text.Json.Utf8JsonWriter json, long? first, long? last)
    {
        if (first is { } f && last is { } l)
        {
            json.WriteNumber("firstTimestamp", f);
            json.WriteNumber("lastTimestamp", l);
            json.WriteString("firstDecisionAt", Format.Time(f));
            json.WriteString("lastDecisionAt", Format.Time(l));
        }
        else
        {
            json.WriteNull("firstTimestamp");
            json.WriteNull("lastTimestamp");
        }
    }
}
