using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Vince.FeatureStore.Diagnostics;

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
/// A failed write is cut off again (the file truncated back to its last complete line), so a retry appends to the
/// same file without a duplicate or torn line and a full disk leaves no trail of empty files; only when that cut
/// fails is the file abandoned and the retry goes to a fresh one. Before and after each write the open file is
/// checked: deleted (link count 0, e.g. the data directory removed), truncated or appended to by someone else, it
/// is left as it is and writing goes on in a new file (the data directory made again when it is gone), so nothing
/// written after the change goes into an unlinked file or behind a block of NULs.
/// </remarks>
internal sealed class JsonlFeatureLog : IDisposable
{
    /// <summary>How often one batch is written again after its file changed under it before the write counts as failed.</summary>
    private const int RewritesPerAppend = 3;

    private readonly string _directory;
    private readonly int _recordsPerFile;
    private readonly bool _fsync;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(256 * 1024);
    private readonly Utf8JsonWriter _json;
    private FileStream? _file;
    private string _fileName = "";
    private long _fileKey = long.MinValue;
    private DateOnly _fileDate;
    private int _recordsInFile;
    private long _fileLength;
    private LogPosition _committed;

    public JsonlFeatureLog(string directory, int recordsPerFile, bool fsync, TimeProvider time, ILogger? logger = null)
    {
        _directory = directory;
        _recordsPerFile = recordsPerFile;
        _fsync = fsync;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
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

            WriteBuffer();
            _recordsInFile += lines;
            written += lines;
            Volatile.Write(ref _committed, new LogPosition(_fileName, _fileKey, _fileLength));
        }

        return written;
    }

    /// <summary>
    /// Writes the buffer to the open file and flushes it; written again to a new file when the open one was
    /// deleted, truncated or appended to while it was written (its check after the flush says so).
    /// </summary>
    private void WriteBuffer()
    {
        for (int rewrite = 0; ; rewrite++)
        {
            try
            {
                _file!.Write(_buffer.WrittenSpan);
                _file.Flush(flushToDisk: _fsync);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                CutFailedWrite();
                throw;
            }

            long before = _fileLength;
            _fileLength += _buffer.WrittenCount;
            if (CheckOpenFile() is not { } problem)
            {
                return;
            }

            // The lines may have gone into an unlinked or cut file: write them again where they stay.
            FeatureStoreLog.ActiveFileChanged(_logger, _fileName, problem);
            _fileLength = before;
            CloseFile();
            if (rewrite + 1 >= RewritesPerAppend)
            {
                throw new IOException($"The log file changed under the writer {RewritesPerAppend} times in a row ({problem}).");
            }

            OpenNewFile(_time.GetUtcNow());
        }
    }

    /// <summary>
    /// After a failed write: truncates the file back to its last complete line, so the retry appends to it without
    /// a duplicate or torn line. When that fails too, the file is abandoned (and deleted if it holds nothing).
    /// </summary>
    private void CutFailedWrite()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            // Shrinking needs no free space: it works on a full disk.
            _file.SetLength(_fileLength);
            _file.Position = _fileLength;
            if (_fsync)
            {
                _file.Flush(flushToDisk: true);
            }

            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            FeatureStoreLog.FailedWriteNotCut(_logger, ex, _fileName, _fileLength);
        }

        bool empty = _fileLength == 0;
        string path = Path.Combine(_directory, _fileName);
        CloseFile();
        if (empty)
        {
            TryDelete(path);
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            FeatureStoreLog.EmptyFileNotDeleted(_logger, ex, Path.GetFileName(path));
        }
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
            if (CheckOpenFile() is not { } problem)
            {
                return;
            }

            FeatureStoreLog.ActiveFileChanged(_logger, _fileName, problem);
        }

        CloseFile();
        OpenNewFile(now);
    }

    /// <summary>What happened to the open file behind the writer's back, or <see langword="null"/> when it is as the writer left it.</summary>
    private string? CheckOpenFile()
    {
        SafeFileHandle handle = _file!.SafeFileHandle;
        if (UnixFileSync.LinkCount(handle, Path.Combine(_directory, _fileName)) == 0)
        {
            return "was deleted";
        }

        long length = RandomAccess.GetLength(handle);
        return length == _fileLength
            ? null
            : length < _fileLength
                ? $"was truncated to {length} bytes (the writer had written {_fileLength})"
                : $"grew to {length} bytes, written by another program (the writer had written {_fileLength})";
    }

    private void OpenNewFile(DateTimeOffset now)
    {
        long key = Math.Max(now.ToUnixTimeMilliseconds(), _fileKey == long.MinValue ? 0 : _fileKey + 1);
        DateTimeOffset created = DateTimeOffset.FromUnixTimeMilliseconds(key);
        _fileName = FeatureLogFiles.FeatureFileName(created);
        _fileKey = key;
        _fileDate = DateOnly.FromDateTime(created.UtcDateTime);
        _recordsInFile = 0;
        _fileLength = 0;
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

        if (!Directory.Exists(_directory))
        {
            // Deleted under the running store (rm -rf): make it again, private, so what is recorded now is kept.
            PrivateDirectory.Create(_directory);
            FeatureStoreLog.DataDirectoryRecreated(_logger, _directory);
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
