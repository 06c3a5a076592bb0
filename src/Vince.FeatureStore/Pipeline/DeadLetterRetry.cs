using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Pipeline;

/// <summary>What a retry of a dead-letter file did.</summary>
/// <param name="Shipped">Parked versions the sink stored this time (removed from the file).</param>
/// <param name="Superseded">Parked versions not sent because the log holds a later version of the id that is not parked
/// (the sink has it, or ships it from its cursor), or a later parked one is sent instead (removed from the file).</param>
/// <param name="Kept">Versions still parked, with the error of this attempt.</param>
/// <param name="StoppedBy">When the sink itself failed (not a single record), that failure; the rest was left as it was.</param>
internal sealed record DeadLetterRetryReport(int Shipped, int Superseded, IReadOnlyList<DeadLetter> Kept, string? StoppedBy);

/// <summary>
/// Ships the parked records of a sink's dead-letter file again, one at a time in log order, once their cause is
/// fixed: what the sink stores is removed from the file, what it refuses again stays with the new error. A parked
/// version is never sent over a later version of its id (that would leave the sink stale).
/// </summary>
internal static class DeadLetterRetry
{
    public static Task<DeadLetterRetryReport> RunAsync(string dataDirectory, IFeatureSink sink, bool fsync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var file = new DeadLetterFile(dataDirectory, sink.Name, fsync);
        return file.RewriteAsync<DeadLetterRetryReport>(async (contents, token) =>
        {
            if (contents.Letters.Count == 0)
            {
                return ([], new DeadLetterRetryReport(0, 0, [], null));
            }

            var parked = contents.Letters.Select(l => (l.File, l.Offset)).ToHashSet();
            Dictionary<string, LogPosition> latest = await LatestVersionsAsync(dataDirectory, contents.Letters.Select(l => l.Id).ToHashSet(StringComparer.Ordinal), token).ConfigureAwait(false);
            List<DeadLetter> ordered = [.. contents.Letters.OrderBy(l => l, LogOrder.Instance)];
            var latestParked = new Dictionary<string, DeadLetter>(StringComparer.Ordinal);
            foreach (DeadLetter letter in ordered)
            {
                latestParked[letter.Id] = letter;
            }

            await sink.InitializeAsync(token).ConfigureAwait(false);
            int shipped = 0, superseded = 0;
            var kept = new List<DeadLetter>();
            string? stoppedBy = null;
            foreach (DeadLetter letter in ordered)
            {
                if (stoppedBy is not null)
                {
                    kept.Add(letter);
                    continue;
                }

                bool laterParked = !ReferenceEquals(latestParked[letter.Id], letter);
                bool laterInLog = latest.TryGetValue(letter.Id, out LogPosition? last) && Later(last, letter) && !parked.Contains((last.FileName, last.Offset));
                if (laterParked || laterInLog)
                {
                    superseded++;
                    continue;
                }

                try
                {
                    await sink.WriteAsync([letter.Record], token).ConfigureAwait(false);
                    shipped++;
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    kept.Add(letter with { Error = FeatureSinkException.Describe(ex) });
                    if (FeatureSinkException.KindOf(ex) != FeatureSinkFailureKind.RecordRejected)
                    {
                        // The sink is failing, not this record: leave the rest for the next retry.
                        stoppedBy = FeatureSinkException.Describe(ex);
                    }
                }
            }

            return (kept, new DeadLetterRetryReport(shipped, superseded, kept, stoppedBy));
        }, cancellationToken);
    }

    private static bool Later(LogPosition position, DeadLetter letter)
    {
        int byFile = LogPosition.CompareFiles(position.FileKey, position.FileName, LogPosition.KeyOf(letter.File), letter.File);
        return byFile != 0 ? byFile > 0 : position.Offset > letter.Offset;
    }

    /// <summary>Where the last version of each of <paramref name="ids"/> is in the log.</summary>
    private static async Task<Dictionary<string, LogPosition>> LatestVersionsAsync(string dataDirectory, HashSet<string> ids, CancellationToken cancellationToken)
    {
        var latest = new Dictionary<string, LogPosition>(StringComparer.Ordinal);
        foreach (string name in FeatureLogFiles.ListFeatureFiles(dataDirectory))
        {
            long key = LogPosition.KeyOf(name);
            string path = Path.Combine(dataDirectory, name);
            if (!File.Exists(path))
            {
                continue;
            }

            using var reader = new JsonlLineReader(path, 0);
            while (true)
            {
                var (kind, content) = await reader.ReadLineAsync(long.MaxValue, cancellationToken).ConfigureAwait(false);
                if (kind == JsonlLineKind.End)
                {
                    break;
                }

                if (kind != JsonlLineKind.Oversized && RecordLine.TryReadHeader(content.Span, out RecordHeader header, out _) && ids.Contains(header.Id))
                {
                    latest[header.Id] = new LogPosition(name, key, reader.LineStart);
                }
            }
        }

        return latest;
    }

    private sealed class LogOrder : IComparer<DeadLetter>
    {
        public static readonly LogOrder Instance = new();

        public int Compare(DeadLetter? x, DeadLetter? y)
        {
            int byFile = LogPosition.CompareFiles(LogPosition.KeyOf(x!.File), x.File, LogPosition.KeyOf(y!.File), y.File);
            return byFile != 0 ? byFile : x.Offset.CompareTo(y.Offset);
        }
    }
}
