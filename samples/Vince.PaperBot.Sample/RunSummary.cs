using Vince.FeatureStore;

namespace Vince.PaperBot.Sample;

/// <summary>Reads the data directory back with <see cref="FeatureLogReader"/> and prints what it holds.</summary>
internal static class RunSummary
{
    public static async Task PrintAsync(string directory, SampleArguments arguments, StrategySettings strategy, PaperRunStats run, TimeSpan elapsed, IReadOnlyList<FeatureSinkStatus> sinks, TextWriter output, CancellationToken cancellationToken)
    {
        var reader = new FeatureLogReader(directory);
        int records = 0, complete = 0, profitable = 0, avoided = 0;
        double netPnl = 0;
        var perAsset = new SortedDictionary<string, (int Records, int Complete)>(StringComparer.Ordinal);
        await foreach (FeatureRecord record in reader.ReadRecordsAsync(cancellationToken: cancellationToken))
        {
            records++;
            perAsset.TryGetValue(record.Asset, out var counts);
            counts.Records++;
            if (record.Avoided is not null)
            {
                avoided++;
            }

            if (record.IsComplete)
            {
                complete++;
                counts.Complete++;
                netPnl += record.Outcome!.RealizedPnl ?? 0;
                if (record.Labels!.Profitable)
                {
                    profitable++;
                }
            }

            perAsset[record.Asset] = counts;
        }

        long skipped = reader.SkippedLines; // the second pass below would count the same lines again
        long versions = 0;
        await foreach (FeatureRecord _ in reader.ReadVersionsAsync(cancellationToken))
        {
            versions++;
        }

        int open = records - complete - avoided;
        output.WriteLine($"Paper bot run: {run.Completed} trades closed, {run.Avoided} signals avoided (seed {arguments.Seed}, {strategy.Describe()})");
        output.WriteLine($"  simulated        {PaperMarket.Start:yyyy-MM-dd HH:mm} to {run.SimulatedUntil:yyyy-MM-dd HH:mm} UTC, in {elapsed.TotalSeconds:0.0} s");
        if (arguments.ModelsDirectory is not null)
        {
            output.WriteLine($"  scored {run.Scored} decisions, {run.ColdHistory} with cold history");
        }

        output.WriteLine($"Feature log (every file in the directory, earlier runs included):");
        output.WriteLine($"  records          {records} ({complete} complete, {avoided} avoided, {open} open)");
        output.WriteLine($"  record versions  {versions}");
        output.WriteLine($"  complete trades  {complete}");
        output.WriteLine(complete == 0
            ? "  win rate         n/a"
            : $"  win rate         {100.0 * profitable / complete:0.0}% ({profitable} of {complete} profitable), net pnl {netPnl:+0.00;-0.00} USD");
        foreach ((string asset, (int assetRecords, int assetComplete)) in perAsset)
        {
            output.WriteLine($"  {asset,-16} {assetRecords} records, {assetComplete} complete");
        }

        output.WriteLine($"  files            {reader.GetFiles().Count}");
        if (skipped > 0)
        {
            output.WriteLine($"  skipped lines    {skipped}");
        }

        output.WriteLine($"  directory        {directory}");
        foreach (FeatureSinkStatus sink in sinks.Where(s => s.PendingBytes > 0))
        {
            output.WriteLine($"Sink {sink.Name} is {sink.PendingBytes} bytes behind the log (last error: {sink.LastError ?? "none"}); it ships them from its cursor on the next start.");
        }
    }
}
