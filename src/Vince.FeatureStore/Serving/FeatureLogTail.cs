using System.Buffers;
using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Serving;

/// <summary>
/// Reads the newest records of each asset from the end of the store's own log (<c>features_*.jsonl</c>, newest file
/// first, each file backwards), for the serving history: only the headers of the lines read are parsed, and only the
/// <see cref="FeatureHistory.Depth"/> newest records per asset are deserialized.
/// </summary>
/// <remarks>
/// The log is appended in recording order, so once every asset seen holds its <see cref="FeatureHistory.Depth"/>
/// newest records and a line older than all of them is read, earlier lines cannot change the history of those assets.
/// Reading goes on back to <see cref="Lookback"/> before the newest decision so that an asset traded less often is
/// found too, then stops. The first line read of an id is its latest version; earlier versions only move the id's first
/// appearance, which orders equal decision times as the log reader does.
/// </remarks>
internal static class FeatureLogTail
{
    /// <summary>How far before the newest decision the tail is read at least, to find every asset traded in that time.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(1);

    private const int BlockBytes = 64 * 1024;

    public static TailRead Read(string directory, int maxLineBytes, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        List<string> files = FeatureLogFiles.ListFeatureFiles(directory);
        var state = new TailState();
        long bytesRead = 0;
        for (int file = files.Count - 1; file >= 0 && !state.Done; file--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            bytesRead += ReadFileBackwards(Path.Combine(directory, files[file]), file, maxLineBytes, state, cancellationToken);
        }

        var history = new List<FeatureRecord>();
        foreach (List<Candidate> candidates in state.ByAsset.Values)
        {
            candidates.Sort(static (a, b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.FirstSeen.CompareTo(b.FirstSeen));
            foreach (Candidate candidate in candidates)
            {
                // A line whose header reads but whose record does not is skipped, as the log reader skips it.
                if (RecordLine.TryParse(candidate.Line, out FeatureRecord? record, out _))
                {
                    history.Add(record!);
                }
            }
        }

        return new TailRead(history, state.ByAsset.Count, bytesRead, state.Lines, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Reads one file from its end until the state is done; returns the bytes read.</summary>
    private static long ReadFileBackwards(string path, int file, int maxLineBytes, TailState state, CancellationToken cancellationToken)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return 0; // pruned by retention meanwhile
        }

        using (handle)
        {
            long length = RandomAccess.GetLength(handle);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(BlockBytes * 2);
            try
            {
                long bytesRead = 0;
                long chunkStart = length;

                // buffer[0..pending) holds the bytes from chunkStart on that precede the last line end found so far.
                int pending = 0;
                while (chunkStart > 0 && !state.Done)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int block = (int)Math.Min(BlockBytes, chunkStart);
                    if (buffer.Length < block + pending)
                    {
                        if (pending > maxLineBytes)
                        {
                            pending = 0; // a line longer than the reader accepts: skipped as the reader skips it
                        }

                        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, block + pending));
                        Array.Copy(buffer, larger, pending);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    Array.Copy(buffer, 0, buffer, block, pending);
                    chunkStart -= block;
                    ReadFully(handle, buffer.AsSpan(0, block), chunkStart);
                    bytesRead += block;
                    int end = block + pending;
                    int index = end;
                    while (!state.Done)
                    {
                        int newline = buffer.AsSpan(0, index).LastIndexOf((byte)'\n');
                        if (newline < 0)
                        {
                            break;
                        }

                        // Lines are [newline + 1, lineEnd); the last byte of the file may be a line end.
                        if (newline + 1 < end)
                        {
                            ProcessLine(buffer.AsSpan(newline + 1, end - newline - 1), file, chunkStart + newline + 1, maxLineBytes, state);
                        }

                        end = newline;
                        index = newline;
                    }

                    pending = end;
                }

                if (chunkStart == 0 && pending > 0 && !state.Done)
                {
                    ProcessLine(buffer.AsSpan(0, pending), file, 0, maxLineBytes, state);
                }

                return bytesRead;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static void ProcessLine(ReadOnlySpan<byte> line, int file, long offset, int maxLineBytes, TailState state)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (line.Length > maxLineBytes || line.Trim(" \t"u8).IsEmpty || !RecordLine.TryReadHeader(line, out RecordHeader header, out _))
        {
            return; // blank, oversized or torn: the reader skips it too
        }

        state.Lines++;
        state.Newest = Math.Max(state.Newest, header.Timestamp);
        long position = ((long)file << 40) | offset;
        if (state.Seen.TryGetValue(header.Id, out Candidate? known))
        {
            if (known is not null)
            {
                known.FirstSeen = position; // an earlier version: the id appeared first here
            }

            return;
        }

        string asset = header.Asset;
        if (!state.ByAsset.TryGetValue(asset, out List<Candidate>? candidates))
        {
            state.ByAsset[asset] = candidates = new List<Candidate>(FeatureHistory.Depth);
        }

        Candidate? kept = null;
        if (candidates.Count < FeatureHistory.Depth)
        {
            kept = new Candidate(header.Timestamp, position, line.ToArray());
            candidates.Add(kept);
        }
        else
        {
            int oldest = 0;
            for (int i = 1; i < candidates.Count; i++)
            {
                if (candidates[i].Timestamp < candidates[oldest].Timestamp)
                {
                    oldest = i;
                }
            }

            if (header.Timestamp > candidates[oldest].Timestamp)
            {
                kept = new Candidate(header.Timestamp, position, line.ToArray());
                candidates[oldest] = kept;
            }
        }

        state.Seen[header.Id] = kept;
        state.Done = IsSettled(state, header.Timestamp);
    }

    /// <summary>The line just read is beyond the lookback, every asset seen holds its newest records, and the line is older than all of them.</summary>
    private static bool IsSettled(TailState state, long lineTimestamp)
    {
        if (lineTimestamp >= state.Newest - (long)Lookback.TotalMilliseconds)
        {
            return false;
        }

        foreach (List<Candidate> candidates in state.ByAsset.Values)
        {
            if (candidates.Count < FeatureHistory.Depth)
            {
                return false;
            }

            foreach (Candidate candidate in candidates)
            {
                if (candidate.Timestamp <= lineTimestamp)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static void ReadFully(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = RandomAccess.Read(handle, destination[total..], offset + total);
            if (read == 0)
            {
                destination[total..].Clear(); // shorter than its length said: nothing more to read
                return;
            }

            total += read;
        }
    }

    private sealed class TailState
    {
        public Dictionary<string, Candidate?> Seen { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<Candidate>> ByAsset { get; } = new(StringComparer.Ordinal);

        public long Lines { get; set; }

        public long Newest { get; set; } = long.MinValue;

        public bool Done { get; set; }
    }

    private sealed class Candidate(long timestamp, long firstSeen, byte[] line)
    {
        public long Timestamp { get; } = timestamp;

        public long FirstSeen { get; set; } = firstSeen;

        public byte[] Line { get; } = line;
    }
}

/// <summary>What <see cref="FeatureLogTail.Read"/> found: the history records in the order to add them.</summary>
internal sealed record TailRead(List<FeatureRecord> Records, int Assets, long BytesRead, long Lines, TimeSpan Elapsed);
