namespace Vince.FeatureStore.Jsonl;

/// <summary>Small durability helpers for files the store owns (logs, cursors).</summary>
internal static class FileSystemDurability
{
    /// <summary>
    /// Makes a file creation or rename in <paramref name="directory"/> durable (fsync of the directory).
    /// A no-op where the platform cannot open directories.
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            using var handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (IOException)
        {
            // Some file systems refuse fsync on a directory; the data itself is already flushed.
        }
        catch (UnauthorizedAccessException)
        {
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
    public static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
