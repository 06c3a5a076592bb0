using System.Runtime.InteropServices;

namespace Vince.FeatureStore.Jsonl;

/// <summary>Small durability helpers for files the store owns (logs, cursors).</summary>
internal static class FileSystemDurability
{
    /// <summary>
    /// Makes a file creation or rename in <paramref name="directory"/> durable (fsync of the directory).
    /// .NET cannot open a directory as a file on Unix, so this calls open/fsync/close directly.
    /// </summary>
    /// <returns>True when the directory was synced; false where the platform or file system does not allow it.</returns>
    public static bool SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return false; // NTFS metadata is journaled; there is no directory fsync.
        }

        int fd = UnixFileSync.Open(directory, UnixFileSync.ReadOnly);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            // Some file systems refuse fsync on a directory; the data itself is already flushed then.
            return UnixFileSync.Fsync(fd) == 0;
        }
        finally
        {
            _ = UnixFileSync.Close(fd);
        }
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically (temp file, flush, rename).</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content, bool fsync)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: fsync);
        }

        File.Move(temp, path, overwrite: true);
        if (fsync)
        {
            SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }
    }

    /// <summary>Creates a directory with owner-only permissions where the OS supports them.</summary>
    public static void CreatePrivateDirectory(string path) => PrivateDirectory.Create(path);
}

/// <summary>The libc calls that .NET does not expose: directory fsync, flock, a read that takes no lock, and an open file's link count.</summary>
internal static partial class UnixFileSync
{
    public const int ReadOnly = 0;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxNlink = 0x4;
    private const int StatxSize = 256;
    private const int StatxNlinkOffset = 16; // struct statx is the same on every Linux architecture

    /// <summary>
    /// How many names the open file <paramref name="handle"/> has: 0 once it was deleted (its directory removed
    /// included), while the process still writes to it. Linux asks the kernel (<c>statx</c> on the descriptor);
    /// elsewhere, or where that call is missing, whether <paramref name="path"/> still exists stands in for it.
    /// </summary>
    public static long LinkCount(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path)
    {
        if (OperatingSystem.IsLinux())
        {
            byte[] buffer = new byte[StatxSize];
            if (Statx(handle, "", AtEmptyPath, StatxNlink, buffer) == 0)
            {
                return BitConverter.ToUInt32(buffer, StatxNlinkOffset);
            }
        }

        return File.Exists(path) ? 1 : 0;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(Microsoft.Win32.SafeHandles.SafeFileHandle dirfd, string path, int flags, uint mask, byte[] buffer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(Microsoft.Win32.SafeHandles.SafeFileHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);
}
