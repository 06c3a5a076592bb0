using System.Buffers;
using System.Text.Json;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Pipeline;

/// <summary>A sink's cursor as loaded, and what was wrong with the file when it could not be used as it stands.</summary>
/// <param name="Position">Where shipping resumes.</param>
/// <param name="Problem">Null for a sound cursor; otherwise what was wrong, for a warning that names the file.</param>
internal readonly record struct LoadedCursor(LogPosition Position, string? Problem);

/// <summary>
/// Durable per-sink cursors: <c>&lt;data&gt;/.cursors/&lt;sink&gt;.json</c> holding the file and byte offset of
/// the first line the sink has not acknowledged. Written atomically (temp file and rename).
/// </summary>
/// <remarks>
/// A damaged cursor (empty, not JSON, a negative offset, an offset past the end of its file or inside a line)
/// never stops recording and never skips data: shipping resumes from a point that is certainly a line start
/// (the start of the cursor's file, or of the log), which re-ships some records; sinks upsert by id, so that
/// is idempotent.
/// </remarks>
internal sealed class SinkCursorStore
{
    public const string DirectoryName = ".cursors";
    private readonly string _dataDirectory;
    private readonly string _directory;
    private readonly bool _fsync;

    public SinkCursorStore(string dataDirectory, bool fsync)
    {
        _dataDirectory = dataDirectory;
        _directory = Path.Combine(dataDirectory, DirectoryName);
        _fsync = fsync;
        FileSystemDurability.CreatePrivateDirectory(_directory);
    }

    public string PathOf(string sinkName) => Path.Combine(_directory, sinkName + ".json");

    public LoadedCursor Load(string sinkName)
    {
        string path = PathOf(sinkName);
        if (!File.Exists(path))
        {
            return new LoadedCursor(LogPosition.Start, null);
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
        {
            return new LoadedCursor(LogPosition.Start, "is empty");
        }

        string? file = null;
        long offset = 0;
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new LoadedCursor(LogPosition.Start, "is not a JSON object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("file"u8))
                {
                    reader.Read();
                    file = reader.GetString();
                }
                else if (reader.ValueTextEquals("offset"u8))
                {
                    reader.Read();
                    offset = reader.GetInt64();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return new LoadedCursor(LogPosition.Start, $"is not a valid cursor ({ex.Message})");
        }

        if (string.IsNullOrEmpty(file))
        {
            return new LoadedCursor(LogPosition.Start, null);
        }

        if (Path.GetFileName(file) != file || !FeatureLogFiles.TryParseFeatureFileName(file, out _, out _))
        {
            return new LoadedCursor(LogPosition.Start, $"names '{file}', which is not a feature file of this directory");
        }

        var startOfFile = new LogPosition(file, LogPosition.KeyOf(file), 0);
        if (offset < 0)
        {
            return new LoadedCursor(startOfFile, $"has a negative offset ({offset})");
        }

        string logFile = Path.Combine(_dataDirectory, file);
        if (offset > 0 && File.Exists(logFile))
        {
            string? problem = CheckLineStart(logFile, offset);
            if (problem is not null)
            {
                return new LoadedCursor(startOfFile, problem);
            }
        }

        return new LoadedCursor(startOfFile with { Offset = offset }, null);
    }

    /// <summary>A saved offset is always just after a <c>\n</c>; anything else was edited or belongs to another file.</summary>
    private static string? CheckLineStart(string logFile, long offset)
    {
        using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        if (offset > stream.Length)
        {
            return $"points at byte {offset}, past the end of {Path.GetFileName(logFile)} ({stream.Length} bytes)";
        }

        stream.Position = offset - 1;
        return stream.ReadByte() == '\n' ? null : $"points at byte {offset} of {Path.GetFileName(logFile)}, which is not the start of a line";
    }

    public void Save(string sinkName, LogPosition position)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("file", position.FileName);
            writer.WriteNumber("offset", position.Offset);
            writer.WriteString("updatedAt", DateTimeOffset.UtcNow);
            writer.WriteEndObject();
        }

        string path = PathOf(sinkName);
        try
        {
            FileSystemDurability.WriteAtomically(path, buffer.WrittenSpan, _fsync);
        }
        catch (DirectoryNotFoundException)
        {
            // The directory was deleted under the running store: make it again, so progress is durable again now
            // rather than after a restart.
            FileSystemDurability.CreatePrivateDirectory(_directory);
            FileSystemDurability.WriteAtomically(path, buffer.WrittenSpan, _fsync);
        }
    }
}
