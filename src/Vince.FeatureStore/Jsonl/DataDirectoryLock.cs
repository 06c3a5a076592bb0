using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Vince.FeatureStore.Jsonl;

/// <summary>
/// One writing process per data directory: an exclusive <c>flock</c> on <c>.owner.lock</c>, which also names the
/// owner (process id, host, start time) for the error a second process gets.
/// </summary>
/// <remarks>
/// A flock belongs to the open file, so the kernel frees it when the owner exits in any way, SIGKILL included:
/// a lock left by a dead process never blocks a restart. Readers (export, stats, parity) take no lock.
/// </remarks>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = ".owner.lock";
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;

    private readonly FileStream _stream;

    private DataDirectoryLock(FileStream stream) => _stream = stream;

    /// <summary>Takes the directory for this process.</summary>
    /// <exception cref="FeatureStoreException">Another process holds the directory.</exception>
    public static DataDirectoryLock Acquire(string dataDirectory, DateTimeOffset startedAt)
    {
        string path = Path.Combine(dataDirectory, FileName);
        FileStream stream;
        try
        {
            // .NET takes a shared flock on open; the exclusive one below converts it.
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 1);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw InUse(dataDirectory, path, ex);
        }

        if (!OperatingSystem.IsWindows() && UnixFileSync.Flock(stream.SafeFileHandle, LockExclusive | LockNonBlocking) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            stream.Dispose();
            throw InUse(dataDirectory, path, new IOException($"flock failed with errno {errno}."));
        }

        try
        {
            var owner = new System.Buffers.ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(owner))
            {
                writer.WriteStartObject();
                writer.WriteNumber("pid", Environment.ProcessId);
                writer.WriteString("host", Environment.MachineName);
                writer.WriteString("startedAt", startedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            stream.SetLength(0);
            stream.Write(owner.WrittenSpan);
            stream.Flush(flushToDisk: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        return new DataDirectoryLock(stream);
    }

    private static FeatureStoreException InUse(string dataDirectory, string path, Exception cause)
    {
        string owner = ReadOwner(path) is { } o
            ? $"process {o.Pid} on host {o.Host} since {o.StartedAt}"
            : "another process";
        return new FeatureStoreException(
            $"The data directory '{dataDirectory}' is in use by {owner} (lock file {path}). One process writes a data directory at a time; stop the other process or give this one its own directory.",
            cause);
    }

    /// <summary>Reads the owner without opening the file through .NET, whose open would wait for the owner's lock.</summary>
    private static (string Pid, string Host, string StartedAt)? ReadOwner(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        int fd = UnixFileSync.Open(path, UnixFileSync.ReadOnly);
        if (fd < 0)
        {
            return null;
        }

        try
        {
            byte[] buffer = new byte[1024];
            int length = (int)UnixFileSync.Read(fd, buffer, (nint)buffer.Length);
            if (length <= 0)
            {
                return null;
            }

            using JsonDocument document = JsonDocument.Parse(buffer.AsMemory(0, length));
            JsonElement root = document.RootElement;
            return (root.GetProperty("pid").ToString(), root.GetProperty("host").ToString(), root.GetProperty("startedAt").ToString());
        }
        catch (JsonException)
        {
            return null; // written by a process that died mid-write: the message then names no owner
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
        finally
        {
            _ = UnixFileSync.Close(fd);
        }
    }

    public void Dispose() => _stream.Dispose();
}
