using System.Buffers;
using System.Text.Json;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Pipeline;

/// <summary>
/// Durable per-sink cursors: <c>&lt;data&gt;/.cursors/&lt;sink&gt;.json</c> holding the file and byte offset of
/// the first line the sink has not acknowledged. Written atomically (temp file and rename).
/// </summary>
internal sealed class SinkCursorStore
{
    public const string DirectoryName = ".cursors";
    private readonly string _directory;
    private readonly bool _fsync;

    public SinkCursorStore(string dataDirectory, bool fsync)
    {
        _directory = Path.Combine(dataDirectory, DirectoryName);
        _fsync = fsync;
        FileSystemDurability.CreatePrivateDirectory(_directory);
    }

    public string PathOf(string sinkName) => Path.Combine(_directory, sinkName + ".json");

    public LogPosition Load(string sinkName)
    {
        string path = PathOf(sinkName);
        if (!File.Exists(path))
        {
            return LogPosition.Start;
        }

        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            var reader = new Utf8JsonReader(bytes);
            string? file = null;
            long offset = 0;
            reader.Read();
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

            return string.IsNullOrEmpty(file) ? LogPosition.Start : new LogPosition(file, LogPosition.KeyOf(file), offset);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"The cursor file '{path}' of sink '{sinkName}' is corrupt; delete it to re-ship the whole log to that sink (re-shipping is idempotent).", ex);
        }
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

        FileSystemDurability.WriteAtomically(PathOf(sinkName), buffer.WrittenSpan, _fsync);
    }
}
