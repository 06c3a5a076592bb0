using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Diagnostics;

namespace Vince.FeatureStore.Recording;

/// <summary>
/// <c>unmatched_updates.jsonl</c> in the data directory: executions and outcomes whose record has no earlier
/// version in memory or in the log. Kept (one JSON object a line) rather than dropped, so they can be repaired by hand.
/// </summary>
/// <remarks>
/// A write that fails (disk full, permission denied) throws and leaves the file as it was: the partial line is cut
/// off again, so the log writer can retry it like a log append without a torn or duplicate line.
/// </remarks>
internal sealed class UnmatchedUpdatesFile(string dataDirectory, bool fsync, FeatureStoreMetrics metrics, ILogger logger, TimeProvider time)
{
    /// <summary>The file's name inside the data directory.</summary>
    public const string FileName = "unmatched_updates.jsonl";

    private readonly string _path = Path.Combine(dataDirectory, FileName);
    private readonly ArrayBufferWriter<byte> _line = new(1024);

    /// <summary>Appends <paramref name="update"/> with the time it arrived, and logs a warning.</summary>
    /// <exception cref="IOException">The write failed; nothing of it is left in the file.</exception>
    /// <exception cref="UnauthorizedAccessException">The file or the directory may not be written.</exception>
    public void Keep(RecordUpdate update)
    {
        _line.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_line))
        {
            writer.WriteStartObject();
            writer.WriteString("id", update.Id);
            writer.WriteNumber("receivedAt", time.GetUtcNow().ToUnixTimeMilliseconds());
            if (update.Execution is not null)
            {
                writer.WritePropertyName("execution");
                JsonSerializer.Serialize(writer, update.Execution, FeatureJsonContext.Default.ExecutionFeatures);
            }

            if (update.Outcome is not null)
            {
                writer.WritePropertyName("outcome");
                JsonSerializer.Serialize(writer, update.Outcome, FeatureJsonContext.Default.OutcomeFeatures);
            }

            writer.WriteEndObject();
        }

        _line.GetSpan(1)[0] = (byte)'\n';
        _line.Advance(1);
        try
        {
            Append();
        }
        catch (DirectoryNotFoundException)
        {
            // The data directory was deleted under the running store: make it again (private) and keep the update.
            PrivateDirectory.Create(dataDirectory);
            Append();
        }

        metrics.UnmatchedUpdates.Add(1);
        FeatureStoreLog.UnmatchedUpdate(logger, Describe(update), update.Id, FileName);
    }

    /// <summary>"Outcome" or "Execution", for messages.</summary>
    public static string Describe(RecordUpdate update) => update.Outcome is not null ? "Outcome" : "Execution";

    private void Append()
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.Read, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(_path, options);
        long length = stream.Length;
        bool tornTail = length > 0 && EndsWithoutNewline(stream, length);
        stream.Position = length;
        try
        {
            if (tornTail)
            {
                stream.WriteByte((byte)'\n'); // a line torn by a crash stays a line of its own
            }

            stream.Write(_line.WrittenSpan);
            stream.Flush(flushToDisk: fsync);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Cut the partial line off (shrinking needs no free space), so the retry leaves one whole line.
            stream.SetLength(length);
            throw;
        }
    }

    private static bool EndsWithoutNewline(FileStream stream, long length)
    {
        stream.Position = length - 1;
        return stream.ReadByte() != '\n';
    }
}
