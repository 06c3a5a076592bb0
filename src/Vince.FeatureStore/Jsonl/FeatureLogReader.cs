using System.Buffers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Vince.FeatureStore.Diagnostics;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore;

/// <summary>
/// Reads a feature data directory the way the Python training script does: every <c>features_*.jsonl</c> in
/// write order, then <c>synthetic_*.jsonl</c>, then <c>combined.jsonl</c> (<see cref="FeatureLogReaderOptions.RealOnly"/>
/// leaves the last two out). Invalid lines, such as a torn last line after a crash, are skipped with a warning.
/// Several lines with one id are versions of one record; the one read later wins.
/// </summary>
/// <remarks>
/// Reading holds one record at a time. Resolving versions keeps a small index entry per id (not the
/// record), so memory grows with the number of ids, never with the size of the records.
/// </remarks>
public sealed class FeatureLogReader : IFeatureQuery
{
    private readonly FeatureLogReaderOptions _options;
    private readonly ILogger _logger;
    private long _skippedLines;

    /// <summary>Creates a reader for <paramref name="dataDirectory"/>.</summary>
    /// <param name="dataDirectory">The directory holding the JSONL files.</param>
    /// <param name="options">Which files to read; defaults to all three kinds.</param>
    /// <param name="logger">Receives a warning per skipped line.</param>
    public FeatureLogReader(string dataDirectory, FeatureLogReaderOptions? options = null, ILogger<FeatureLogReader>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        DataDirectory = dataDirectory;
        _options = options ?? new FeatureLogReaderOptions();
        if (_options.MaxLineBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxLineBytes, "MaxLineBytes must be positive.");
        }

        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The directory read.</summary>
    public string DataDirectory { get; }

    /// <summary>Number of lines skipped as invalid by this reader so far (all calls together).</summary>
    public long SkippedLines => Interlocked.Read(ref _skippedLines);

    /// <summary>The files that are read, full paths, in read order.</summary>
    /// <returns>The paths; empty when the directory does not exist.</returns>
    public IReadOnlyList<string> GetFiles()
        => FeatureLogFiles.ListTrainingFiles(DataDirectory, _options.RealOnly).ConvertAll(n => Path.Combine(DataDirectory, n));

    /// <summary>The file-name patterns this reader looks for, in read order (e.g. for a message that found nothing).</summary>
    public IReadOnlyList<string> FilePatterns => FeatureLogFiles.TrainingFilePatterns(_options.RealOnly);

    /// <summary>
    /// Which columns the data has and which assets each model's rows cover, from one scan of the log (no record is
    /// deserialized): the profile the training export decides its columns with. Unlike
    /// <see cref="FeatureDataProfile.Observe"/> on typed records, it sees keys that are present with a null value
    /// (a typed record cannot tell them from missing ones), so a key null in every record is still a column, as in
    /// the Python script.
    /// </summary>
    /// <param name="cancellationToken">Stops the scan.</param>
    /// <returns>The profile.</returns>
    public async Task<FeatureDataProfile> GetProfileAsync(CancellationToken cancellationToken = default)
    {
        var presence = new ColumnPresence();
        LogIndex index = await BuildIndexAsync(FeatureQuery.All, cancellationToken, presence).ConfigureAwait(false);
        return FeatureDataProfile.FromScan(presence, index.Entries.ConvertAll(e => (e.Asset, e.Rows)));
    }

    /// <summary>Every valid line as a record, in file order, versions included.</summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The records.</returns>
    public async IAsyncEnumerable<FeatureRecord> ReadVersionsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (string path in GetFiles())
        {
            await foreach (JsonlLine line in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
            {
                if (RecordLine.TryParse(line.Content.Span, out FeatureRecord? record, out string? error))
                {
                    yield return record!;
                }
                else
                {
                    Skip(path, line.Number, error!);
                }
            }
        }
    }

    /// <summary>
    /// The latest version of every record that matches <paramref name="query"/>, in decision-time order
    /// (ties keep the order in which the ids first appeared).
    /// </summary>
    /// <param name="query">Filter on the latest version; <see langword="null"/> for all records.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The records.</returns>
    public async IAsyncEnumerable<FeatureRecord> ReadRecordsAsync(FeatureQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        LogIndex index = await BuildIndexAsync(query ?? FeatureQuery.All, cancellationToken).ConfigureAwait(false);
        await foreach (FeatureRecord record in ReadIndexedAsync(index, cancellationToken).ConfigureAwait(false))
        {
            yield return record;
        }
    }

    /// <summary>Reads the records of an index built by <see cref="BuildIndexAsync"/>; an index can be read many times.</summary>
    internal async IAsyncEnumerable<FeatureRecord> ReadIndexedAsync(LogIndex index, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Records are parsed in chunks on all cores while the caller consumes the previous chunk; they are
        // yielded in index order. Two chunks at most are in memory.
        const int ChunkSize = 512;
        (List<string> files, List<IndexEntry> entries) = (index.Files, index.Entries);
        var handles = new SafeFileHandle?[files.Count];
        byte[] chunkBytes = ArrayPool<byte>.Shared.Rent(256 * 1024); // pooled: large arrays cost full collections
        Task<FeatureRecord?[]>? next = null;
        try
        {
            next = entries.Count > 0 ? Task.Run(() => ParseChunk(0), cancellationToken) : null;
            for (int start = 0; start < entries.Count; start += ChunkSize)
            {
                FeatureRecord?[] chunk = await next!.ConfigureAwait(false);
                int nextStart = start + ChunkSize;
                next = nextStart < entries.Count ? Task.Run(() => ParseChunk(nextStart), cancellationToken) : null;
                foreach (FeatureRecord? record in chunk)
                {
                    if (record is not null)
                    {
                        yield return record;
                    }
                }
            }
        }
        finally
        {
            if (next is not null)
            {
                // The chunk being parsed still reads the files: let it finish before closing them.
                await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }

            foreach (SafeFileHandle? handle in handles)
            {
                handle?.Dispose();
            }

            ArrayPool<byte>.Shared.Return(chunkBytes);
        }

        FeatureRecord?[] ParseChunk(int start)
        {
            int count = Math.Min(ChunkSize, entries.Count - start);
            int[] lengths = ReadChunk(start, count);
            byte[] bytes = chunkBytes;
            var offsets = new int[count];
            for (int i = 1; i < count; i++)
            {
                offsets[i] = offsets[i - 1] + entries[start + i - 1].Length;
            }

            var parsed = new FeatureRecord?[count];
            var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
            Parallel.For(0, count, options, i =>
            {
                if (RecordLine.TryParse(bytes.AsSpan(offsets[i], lengths[i]), out FeatureRecord? record, out string? error))
                {
                    parsed[i] = record;
                }
                else
                {
                    IndexEntry entry = entries[start + i];
                    Skip(files[entry.File], entry.LineNumber, error!);
                }
            });
            return parsed;
        }

        // Reads the chunk's lines back to back into chunkBytes with one positional read (pread: thread-safe on a
        // shared handle) per run of lines that follow each other in a file, the usual case for a log written in
        // time order. Returns how many bytes of each line were read (fewer only if a file shrank meanwhile).
        // Chunks are parsed one after another, so one buffer serves them all.
        int[] ReadChunk(int start, int count)
        {
            int total = 0;
            for (int i = 0; i < count; i++)
            {
                total += entries[start + i].Length;
            }

            if (chunkBytes.Length < total)
            {
                ArrayPool<byte>.Shared.Return(chunkBytes);
                chunkBytes = ArrayPool<byte>.Shared.Rent(Math.Max(total, chunkBytes.Length * 2));
            }

            var lengths = new int[count];
            int position = 0;
            for (int first = 0; first < count;)
            {
                IndexEntry head = entries[start + first];
                int last = first;
                int runBytes = head.Length;
                while (last + 1 < count
                       && entries[start + last + 1] is { } following
                       && following.File == head.File
                       && following.Offset == head.Offset + runBytes)
                {
                    last++;
                    runBytes += following.Length;
                }

                int read = ReadFully(Handle(head.File), chunkBytes.AsSpan(position, runBytes), head.Offset);
                for (int i = first; i <= last; i++)
                {
                    int length = entries[start + i].Length;
                    lengths[i] = Math.Clamp(read, 0, length);
                    read -= length;
                }

                position += runBytes;
                first = last + 1;
            }

            return lengths;
        }

        SafeFileHandle Handle(int file)
        {
            lock (handles)
            {
                return handles[file] ??= File.OpenHandle(files[file], FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
        }
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = RandomAccess.Read(handle, destination[total..], offset + total);
            if (read == 0)
            {
                break; // the file is shorter than indexed
            }

            total += read;
        }

        return total;
    }

    /// <summary>Counts the records whose latest version matches <paramref name="query"/> without materialising them.</summary>
    /// <param name="query">Filter; <see langword="null"/> counts every record.</param>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The number of matching ids.</returns>
    public async Task<int> CountAsync(FeatureQuery? query = null, CancellationToken cancellationToken = default)
    {
        LogIndex index = await BuildIndexAsync(query ?? FeatureQuery.All, cancellationToken).ConfigureAwait(false);
        return index.Entries.Count;
    }

    /// <summary>Counts complete trades (records with outcome and labels), the number training waits for.</summary>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The number of complete records.</returns>
    public Task<int> CountCompleteAsync(CancellationToken cancellationToken = default)
        => CountAsync(FeatureQuery.Complete, cancellationToken);

    /// <summary>
    /// What the directory holds, from one pass over the record headers (no record is deserialized): files with their
    /// size and lines, versions, records (latest version per id), complete trades, the decision-time range, and
    /// the same per asset.
    /// </summary>
    /// <param name="cancellationToken">Stops the scan.</param>
    /// <returns>The summary; empty (no files) when the directory does not exist.</returns>
    public async Task<FeatureLogSummary> GetSummaryAsync(CancellationToken cancellationToken = default)
    {
        LogIndex index = await BuildIndexAsync(FeatureQuery.All, cancellationToken).ConfigureAwait(false);
        var files = new List<FeatureLogFileSummary>(index.Files.Count);
        for (int i = 0; i < index.Files.Count; i++)
        {
            long bytes = File.Exists(index.Files[i]) ? new FileInfo(index.Files[i]).Length : 0;
            files.Add(new FeatureLogFileSummary(index.Files[i], bytes, index.FileVersions[i], index.FileSkippedLines[i]));
        }

        var assets = new SortedDictionary<string, (int Records, int Complete, long First, long Last)>(StringComparer.Ordinal);
        int complete = 0;
        foreach (IndexEntry entry in index.Entries)
        {
            complete += entry.IsComplete ? 1 : 0;
            (int records, int assetComplete, long first, long last) = assets.TryGetValue(entry.Asset, out var seen) ? seen : (0, 0, long.MaxValue, long.MinValue);
            assets[entry.Asset] = (records + 1, assetComplete + (entry.IsComplete ? 1 : 0), Math.Min(first, entry.Timestamp), Math.Max(last, entry.Timestamp));
        }

        return new FeatureLogSummary
        {
            DataDirectory = DataDirectory,
            Files = files,
            Versions = files.Sum(f => (long)f.Versions),
            SkippedLines = files.Sum(f => (long)f.SkippedLines),
            Records = index.Entries.Count,
            CompleteRecords = complete,
            FirstTimestamp = index.Entries.Count == 0 ? null : index.Entries[0].Timestamp,
            LastTimestamp = index.Entries.Count == 0 ? null : index.Entries[^1].Timestamp,
            Assets = assets.Select(a => new FeatureLogAssetSummary(a.Key, a.Value.Records, a.Value.Complete, a.Value.First, a.Value.Last)).ToList(),
        };
    }

    /// <summary>One pass over the files: where the latest version of each matching id is, in decision-time order.</summary>
    internal async Task<LogIndex> BuildIndexAsync(FeatureQuery query, CancellationToken cancellationToken, Flattening.ColumnPresence? presence = null)
    {
        List<string> files = GetFiles().ToList();

        // Files are scanned in parallel (each on its own), then merged in file order so later versions win.
        var scans = new FileScan[files.Count];
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        await Parallel.ForAsync(0, files.Count, options, async (fileIndex, ct) =>
        {
            var scan = new FileScan(presence is null ? null : new ColumnPresence());
            await foreach (JsonlLine line in ReadLinesAsync(files[fileIndex], ct, scan).ConfigureAwait(false))
            {
                if (RecordLine.TryReadHeader(line.Content.Span, out RecordHeader header, out string? error, scan.Presence))
                {
                    scan.Lines.Add((header, line.Start, line.Length, line.Number));
                }
                else
                {
                    scan.SkippedLines++;
                    Skip(files[fileIndex], line.Number, error!);
                }
            }

            scans[fileIndex] = scan;
        }).ConfigureAwait(false);

        // Sized once: growing these by doubling allocates several large arrays, and large arrays cost full collections.
        int lines = scans.Sum(static scan => scan.Lines.Count);
        var byId = new Dictionary<string, int>(lines, StringComparer.Ordinal);
        var entries = new List<IndexEntry>(lines);
        var assets = new Dictionary<string, string>(StringComparer.Ordinal);
        int[] fileVersions = new int[files.Count];
        int[] fileSkipped = new int[files.Count];
        for (int fileIndex = 0; fileIndex < files.Count; fileIndex++)
        {
            FileScan scan = scans[fileIndex];
            fileVersions[fileIndex] = scan.Lines.Count;
            fileSkipped[fileIndex] = scan.SkippedLines;
            if (presence is not null)
            {
                presence.Merge(scan.Presence!);
            }

            foreach ((RecordHeader header, long start, int length, int number) in scan.Lines)
            {
                // Share one string per asset: the index stays small with many records.
                if (!assets.TryGetValue(header.Asset, out string? asset))
                {
                    assets[header.Asset] = asset = header.Asset;
                }

                var entry = new IndexEntry(header.Timestamp, asset, header.IsComplete, fileIndex, start, length, number, entries.Count, header.Rows);
                if (byId.TryGetValue(header.Id, out int existing))
                {
                    entries[existing] = entry with { FirstSeen = entries[existing].FirstSeen };
                }
                else
                {
                    byId[header.Id] = entries.Count;
                    entries.Add(entry);
                }
            }

            scans[fileIndex] = null!; // let the file's headers go
        }

        entries.RemoveAll(e => !query.Matches(e.Timestamp, e.Asset, e.IsComplete));
        entries.Sort(static (a, b) =>
        {
            int byTime = a.Timestamp.CompareTo(b.Timestamp);
            return byTime != 0 ? byTime : a.FirstSeen.CompareTo(b.FirstSeen);
        });
        return new LogIndex(files, entries, fileVersions, fileSkipped);
    }

    /// <summary>
    /// The non-blank lines of one file; oversized lines are skipped with a warning here. A line's content is
    /// valid until the enumeration moves on.
    /// </summary>
    private async IAsyncEnumerable<JsonlLine> ReadLinesAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken, FileScan? scan = null)
    {
        using var reader = new JsonlLineReader(path, 0, _options.MaxLineBytes);
        int number = 0;
        while (true)
        {
            var (kind, content) = await reader.ReadLineAsync(long.MaxValue, cancellationToken).ConfigureAwait(false);
            if (kind == JsonlLineKind.End)
            {
                yield break;
            }

            number++;
            if (kind == JsonlLineKind.Oversized)
            {
                if (scan is not null)
                {
                    scan.SkippedLines++;
                }

                Skip(path, number, $"line longer than {_options.MaxLineBytes} bytes");
            }
            else if (!content.Span.Trim(" \t"u8).IsEmpty)
            {
                yield return new JsonlLine(content, number, reader.LineStart, (int)(reader.Position - reader.LineStart));
            }
        }
    }

    /// <summary>One line: its content (line end removed), 1-based number, and byte range including the line end.</summary>
    private readonly record struct JsonlLine(ReadOnlyMemory<byte> Content, int Number, long Start, int Length);

    private void Skip(string path, int lineNumber, string reason)
    {
        Interlocked.Increment(ref _skippedLines);
        FeatureStoreLog.SkippedLine(_logger, Path.GetFileName(path), lineNumber, reason);
    }

    private sealed class FileScan(Flattening.ColumnPresence? presence)
    {
        public Flattening.ColumnPresence? Presence { get; } = presence;

        public List<(RecordHeader Header, long Start, int Length, int Number)> Lines { get; } = [];

        public int SkippedLines { get; set; }
    }

    /// <summary>The latest version of each id in order, and per file (same order as <paramref name="Files"/>) the valid and skipped lines.</summary>
    internal sealed record LogIndex(List<string> Files, List<IndexEntry> Entries, int[] FileVersions, int[] FileSkippedLines);

    /// <summary>Where the latest version of one id is; <paramref name="Rows"/> holds its training-row bits when presence was scanned.</summary>
    internal readonly record struct IndexEntry(long Timestamp, string Asset, bool IsComplete, int File, long Offset, int Length, int LineNumber, int FirstSeen, byte Rows);
}
