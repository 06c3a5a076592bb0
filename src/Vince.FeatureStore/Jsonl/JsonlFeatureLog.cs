using System.Buffers;
using System.Text.Json;

namespace Vince.FeatureStore.Jsonl;

/// <summary>A point in the log: a byte offset in one feature file. Files order by <see cref="FileKey"/>.</summary>
internal sealed record LogPosition(string FileName, long FileKey, long Offset)
{
    public static LogPosition Start { get; } = new("", long.MinValue, 0);

    /// <summary>True when this position is at or past <paramref name="other"/>.</summary>
    public bool IsAtOrPast(LogPosition other)
    {
        int byFile = CompareFiles(FileKey, FileName, other.FileKey, other.FileName);
        return byFile != 0 ? byFile > 0 : Offset >= other.Offset;
    }

    /// <summary>File order: by key, then (for files of other writers, which share a key) by name.</summary>
    public static int CompareFiles(long keyA, string nameA, long keyB, string nameB)
    {
        int byKey = keyA.CompareTo(keyB);
        return byKey != 0 ? byKey : string.CompareOrdinal(nameA, nameB);
    }

    public static long KeyOf(string fileName)
        => FeatureLogFiles.TryParseFeatureFileName(fileName, out long key, out _) ? key : long.MinValue;
}

/// <summary>
/// Appends records to <c>features_YYYY-MM-DD_&lt;unix-ms&gt;.jsonl</c> files, one compact JSON object per
/// line, rotating by record count and UTC day. Only the pipeline's single writer loop calls it.
/// </summary>
/// <remarks>
/// Every process start writes to a new file, so a torn tail left by a crash is never glued to a new line.
/// After a failed write the file is abandoned and the retry goes to a fresh file for the same reason.
/// </remarks>
internal sealed class JsonlFeatureLog : IDisposable
{
    private readonly string _directory;
    private readonly int _recordsPerFile;
    private readonly bool _fsync;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _buffer = new(256 * 1024);
    private readonly Utf8JsonWriter _json;
    private FileStream? _file;
    private string _fileName = "";
    private long _fileKey = long.MinValue;
    private DateOnly _fileDate;
    private int _recordsInFile;
    private LogPosition _committed;

    public JsonlFeatureLog(string directory, int recordsPerFile, bool fsync, TimeProvider time)
    {
        _directory = directory;
        _recordsPerFile = recordsPerFile;
        _fsync = fsync;
        _time = time;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
        // Never reuse an existing file name, even if the clock went backwards.
        List<string> existing = FeatureLogFiles.ListFeatureFiles(directory);
        _fileKey = existing.Count == 0 ? long.MinValue : LogPosition.KeyOf(existing[^1]);
        _committed = existing.Count == 0
            ? LogPosition.Start
            : new LogPosition(existing[^1], _fileKey, new FileInfo(Path.Combine(directory, existing[^1])).Length);
    }

    /// <summary>Everything before this position is on disk (flushed, and fsynced when configured).</summary>
    public LogPosition Committed => Volatile.Read(ref _committed);

    /// <summary>Files created by this instance (diagnostics and tests).</summary>
    public int FilesCreated { get; private set; }

    /// <summary>
    /// Appends the records and flushes them. A record that cannot be serialized (e.g. an extension value
    /// that is not valid JSON) is passed to <paramref name="rejected"/> and skipped, so one bad record never
    /// wedges the log. Throws on I/O failure; nothing of the failed write is committed then.
    /// </summary>
    /// <returns>The number of records written.</returns>
    public int Append(IReadOnlyList<FeatureRecord> records, Action<FeatureRecord, Exception> rejected)
    {
        int index = 0;
        int written = 0;
        try
        {
            while (index < records.Count)
            {
                EnsureFile();
                int room = _recordsPerFile - _recordsInFile;
                int lines = 0;
                _buffer.ResetWrittenCount();
                for (; index < records.Count && lines < room; index++)
                {
                    if (TrySerializeLine(records[index], rejected))
                    {
                        lines++;
                    }
                }

                if (lines == 0)
                {
                    continue;
                }

                _file!.Write(_buffer.WrittenSpan);
                _file.Flush(flushToDisk: _fsync);
                _recordsInFile += lines;
                written += lines;
                Volatile.Write(ref _committed, new LogPosition(_fileName, _fileKey, _file.Length));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Abandon the file: the retry starts a new one, so a torn tail stays at the end of this one.
            CloseFile();
            throw;
        }

        return written;
    }

    private bool TrySerializeLine(FeatureRecord record, Action<FeatureRecord, Exception> rejected)
    {
        int before = _buffer.WrittenCount;
        try
        {
            _json.Reset(_buffer);
            FeatureJson.Serialize(_json, record);
            _json.Flush();
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or ArgumentException or NotSupportedException)
        {
            // Drop the partial bytes of this record: rewrite what came before it.
            byte[] keep = _buffer.WrittenSpan[..before].ToArray();
            _json.Reset(_buffer);
            _buffer.ResetWrittenCount();
            keep.CopyTo(_buffer.GetSpan(keep.Length));
            _buffer.Advance(keep.Length);
            rejected(record, ex);
            return false;
        }

        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        return true;
    }

    private void EnsureFile()
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (_file is not null && _recordsInFile < _recordsPerFile && DateOnly.FromDateTime(now.UtcDateTime) == _fileDate)
        {
            return;
        }

        CloseFile();
        long key = Math.Max(now.ToUnixTimeMilliseconds(), _fileKey == long.MinValue ? 0 : _fileKey + 1);
        DateTimeOffset created = DateTimeOffset.FromUnixTimeMilliseconds(key);
        _fileName = FeatureLogFiles.FeatureFileName(created);
        _fileKey = key;
        _fileDate = DateOnly.FromDateTime(created.UtcDateTime);
        _recordsInFile = 0;
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _file = new FileStream(Path.Combine(_directory, _fileName), options);
        FilesCreated++;
        if (_fsync)
        {
            FileSystemDurability.SyncDirectory(_directory);
        }
    }

    private void CloseFile()
    {
        try
        {
            _file?.Dispose();
        }
        catch (IOException)
        {
            // The file is being abandoned after a failure; what matters is that the next write opens a new one.
        }

        _file = null;
    }

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        _json.Dispose();
    }
}
