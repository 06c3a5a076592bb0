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
        ],
        Options = [CommonOptions.Data, CommonOptions.RealOnly, CommonOptions.Json],
        Examples =
        [
            "vince-features stats --data .elizadb/vince-paper-bot/features",
            "vince-features stats --json",
        ],
        Run = RunAsync,
    };

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string directory = context.DataDirectory(options.Value("data"));
        CliContext.EnsureDataDirectoryExists(directory);

        FeatureLogReader reader = CommonOptions.Reader(context, options, directory);
        IReadOnlyList<string> files = reader.GetFiles();
        context.Info($"stats: scanning {files.Count} file(s), {Format.Bytes(files.Sum(f => new FileInfo(f).Length))}");
        FeatureLogSummary summary = await reader.GetSummaryAsync(cancellationToken).ConfigureAwait(false);
        if (summary.Records == 0)
        {
            context.WriteError($"warning: no records: {CommonOptions.LookedAt(reader)}.");
        }

        if (options.Flag("json"))
        {
            WriteJson(context.Out, summary);
        }
        else
        {
            WriteText(context.Out, summary);
        }

        return VinceFeaturesCli.Success;
    }

    private static void WriteText(TextWriter output, FeatureLogSummary summary)
    {
        output.WriteLine($"data directory:  {summary.DataDirectory}");
        output.WriteLine($"files:           {summary.Files.Count} ({Format.Bytes(summary.Files.Sum(f => f.Bytes))})");
        output.WriteLine($"versions:        {Format.Count(summary.Versions)} (valid lines; {Format.Count(summary.SkippedLines)} invalid skipped)");
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

        output.WriteLine();
        output.WriteLine($"files: {summary.Files.Count}");
        if (summary.Files.Count > 0)
        {
            TextTable.Write(output, "  ", ["file", "size", "versions", "skipped"],
                summary.Files.Select(f => new[] { Path.GetFileName(f.Path), Format.Bytes(f.Bytes), Format.Count(f.Versions), Format.Count(f.SkippedLines) }).ToList(),
                new HashSet<int> { 1, 2, 3 });
        }
    }

    private static void WriteJson(TextWriter output, FeatureLogSummary summary) => Format.Json(output, json =>
    {
        json.WriteStartObject();
        json.WriteString("dataDirectory", summary.DataDirectory);
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
