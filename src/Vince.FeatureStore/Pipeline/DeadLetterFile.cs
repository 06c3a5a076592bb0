using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Pipeline;

/// <summary>One record version a sink refused permanently, as parked in its dead-letter file.</summary>
/// <param name="Id">The record id.</param>
/// <param name="ParkedAtUtc">When it was parked.</param>
/// <param name="File">The log file holding the version.</param>
/// <param name="Offset">Byte offset of its line in <paramref name="File"/>.</param>
/// <param name="Error">The sink's error (no secrets).</param>
/// <param name="Record">The record version.</param>
internal sealed record DeadLetter(string Id, DateTimeOffset ParkedAtUtc, string File, long Offset, string Error, FeatureRecord Record);

/// <summary>The entries of a dead-letter file, and the lines of it that could not be read (kept as they are).</summary>
internal sealed record DeadLetterContents(IReadOnlyList<DeadLetter> Letters, IReadOnlyList<string> UnreadableLines);

/// <summary>
/// A sink's dead-letter file, <c>&lt;data&gt;/.deadletter/&lt;sink&gt;.jsonl</c>: one JSON object per line for each
/// record version the sink refused permanently while others were stored (format in docs/formats.md). Owner-only
/// (directory 0700, file 0600). Appends and rewrites hold an exclusive lock on <c>&lt;sink&gt;.lock</c> beside it, so
/// the running store and <c>vince-features deadletter retry</c> never lose each other's lines.
/// </summary>
internal sealed class DeadLetterFile
{
    public const string DirectoryName = ".deadletter";
    private static readonly TimeSpan LockPoll = TimeSpan.FromMilliseconds(50);
    private readonly bool _fsync;
    private long _countedLength = -1;
    private long _count;

    public DeadLetterFile(string dataDirectory, string sinkName, bool fsync)
    {
        Directory = Path.Combine(dataDirectory, DirectoryName);
        FilePath = PathOf(dataDirectory, sinkName);
        SinkName = sinkName;
        _fsync = fsync;
    }

    /// <summary>The file-name rule: <c>.deadletter/&lt;sink&gt;.jsonl</c> inside the data directory.</summary>
    public static string RelativePathOf(string sinkName) => Path.Combine(DirectoryName, sinkName + ".jsonl");

    public static string PathOf(string dataDirectory, string sinkName) => Path.Combine(dataDirectory, RelativePathOf(sinkName));

    public string Directory { get; }

    public string FilePath { get; }

    public string SinkName { get; }

    private string LockPath => Path.ChangeExtension(FilePath, ".lock");

    /// <summary>Entries in the file now (lines; recounted only when the file's length changed).</summary>
    public long Count()
    {
        long length;
        try
        {
            var info = new FileInfo(FilePath);
            length = info.Exists ? info.Length : 0;
        }
        catch (IOException)
        {
            return Interlocked.Read(ref _count);
        }

        if (length == Interlocked.Read(ref _countedLength))
        {
            return Interlocked.Read(ref _count);
        }

        long count = 0;
        if (length > 0)
        {
            try
            {
                using FileStream stream = OpenRead();
                byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
                try
                {
                    int read;
                    while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        count += buffer.AsSpan(0, read).Count((byte)'\n');
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            catch (FileNotFoundException)
            {
                count = 0;
            }
        }

        Interlocked.Exchange(ref _count, count);
        Interlocked.Exchange(ref _countedLength, length);
        return count;
    }

    /// <summary>Appends <paramref name="letters"/> durably (flushed, and fsynced when the store fsyncs).</summary>
    public async Task AppendAsync(IReadOnlyList<DeadLetter> letters, CancellationToken cancellationToken)
    {
        if (letters.Count == 0)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        foreach (DeadLetter letter in letters)
        {
            WriteLine(buffer, letter);
        }

        using FileStream held = await LockAsync(cancellationToken).ConfigureAwait(false);
        bool created = !File.Exists(FilePath);
        using (FileStream stream = OpenForWrite(FileMode.Append))
        {
            stream.Write(buffer.WrittenSpan);
            stream.Flush(flushToDisk: _fsync);
        }

        if (created && _fsync)
        {
            FileSystemDurability.SyncDirectory(Directory);
        }
    }

    /// <summary>Reads every entry (under the lock, so no half-written append is seen).</summary>
    public async Task<DeadLetterContents> ReadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(FilePath))
        {
            return new DeadLetterContents([], []);
        }

        using FileStream held = await LockAsync(cancellationToken).ConfigureAwait(false);
        return ReadUnlocked();
    }

    /// <summary>
    /// Holds the file's lock while <paramref name="change"/> decides, from the entries read under it, which to keep;
    /// then replaces the file atomically with the kept entries and the unreadable lines (never dropped).
    /// </summary>
    public async Task<T> RewriteAsync<T>(Func<DeadLetterContents, CancellationToken, Task<(IReadOnlyList<DeadLetter> Keep, T Result)>> change, CancellationToken cancellationToken)
    {
        using FileStream held = await LockAsync(cancellationToken).ConfigureAwait(false);
        DeadLetterContents contents = File.Exists(FilePath) ? ReadUnlocked() : new DeadLetterContents([], []);
        (IReadOnlyList<DeadLetter> keep, T result) = await change(contents, cancellationToken).ConfigureAwait(false);
        var buffer = new ArrayBufferWriter<byte>(4096);
        foreach (DeadLetter letter in keep)
        {
            WriteLine(buffer, letter);
        }

        foreach (string line in contents.UnreadableLines)
        {
            Encoding.UTF8.GetBytes(line + "\n", buffer);
        }

        if (buffer.WrittenCount == 0)
        {
            File.Delete(FilePath);
        }
        else
        {
            string temp = FilePath + ".tmp";
            using (FileStream stream = OpenForWrite(FileMode.Create, temp))
            {
                stream.Write(buffer.WrittenSpan);
                stream.Flush(flushToDisk: _fsync);
            }

            File.Move(temp, FilePath, overwrite: true);
        }

        if (_fsync)
        {
            FileSystemDurability.SyncDirectory(Directory);
        }

        return result;
    }

    private DeadLetterContents ReadUnlocked()
    {
        var letters = new List<DeadLetter>();
        var unreadable = new List<string>();
        foreach (string line in File.ReadLines(FilePath, Encoding.UTF8))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (TryParse(line, out DeadLetter? letter))
            {
                letters.Add(letter);
            }
            else
            {
                unreadable.Add(line);
            }
        }

        return new DeadLetterContents(letters, unreadable);
    }

    private static void WriteLine(ArrayBufferWriter<byte> buffer, DeadLetter letter)
    {
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", letter.Id);
            writer.WriteString("parkedAt", letter.ParkedAtUtc.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            writer.WriteString("file", letter.File);
            writer.WriteNumber("offset", letter.Offset);
            writer.WriteString("error", letter.Error);
            writer.WritePropertyName("record");
            FeatureJson.Serialize(writer, letter.Record);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
    }

    internal static bool TryParse(string line, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeadLetter? letter)
    {
        letter = null;
        try
        {
            using var document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("record", out JsonElement record) || record.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("id", out JsonElement id) || id.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            FeatureRecord parsed = FeatureJson.Deserialize(record.GetRawText());
            letter = new DeadLetter(
                id.GetString()!,
                root.TryGetProperty("parkedAt", out JsonElement at) && at.TryGetDateTimeOffset(out DateTimeOffset parkedAt) ? parkedAt : DateTimeOffset.MinValue,
                root.TryGetProperty("file", out JsonElement file) && file.ValueKind == JsonValueKind.String ? file.GetString()! : "",
                root.TryGetProperty("offset", out JsonElement offset) && offset.TryGetInt64(out long o) ? o : -1,
                root.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.String ? error.GetString()! : "",
                parsed);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Takes the exclusive lock (an open with FileShare.None is an exclusive flock on Unix), waiting while another process holds it.</summary>
    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        FileSystemDurability.CreatePrivateDirectory(Directory);
        while (true)
        {
            try
            {
                return OpenForWrite(FileMode.OpenOrCreate, LockPath, FileShare.None);
            }
            catch (IOException) when (File.Exists(LockPath))
            {
                // Held by the other side (the store or the CLI) for a moment: wait for it.
                await Task.Delay(LockPoll, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private FileStream OpenRead() => new(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);

    private FileStream OpenForWrite(FileMode mode, string? path = null, FileShare share = FileShare.Read)
    {
        FileSystemDurability.CreatePrivateDirectory(Directory);
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = share, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path ?? FilePath, options);
    }
}
