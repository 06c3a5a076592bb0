using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.ModelSets;

/// <summary>How <see cref="ModelSetInstaller.Install"/> put the new set in place.</summary>
public enum ModelSetSwap
{
    /// <summary>The models directory did not exist; the staging directory was renamed to it.</summary>
    Created,

    /// <summary>The staging and models directories were exchanged in one atomic rename (Linux <c>renameat2</c>, macOS <c>renamex_np</c>).</summary>
    Exchanged,

    /// <summary>
    /// The platform or file system cannot exchange directories: the models directory was renamed away, then the staging
    /// directory renamed to it. Readers never see a mixed set, but for a moment no models directory exists.
    /// </summary>
    Replaced,
}

/// <summary>
/// Installs a complete model set (<c>*.onnx</c>, <c>training_metadata.json</c> and their companion files) into a
/// models directory atomically: readers see either the old set or the new one, never a mix. Used by the training
/// runner and by model downloads.
/// </summary>
/// <remarks>
/// <para>The set is prepared in a staging directory next to the models directory (same parent, so the same file
/// system; see <see cref="CreateStagingDirectory"/>). <see cref="Install"/> flushes its files to disk, copies in the
/// files of the current models directory that do not belong to a model set (<c>last_train_at.txt</c>, the host's own
/// files, subdirectories), then swaps the two directories. The files of the old set that the new one does not have are
/// dropped with it, so an old <c>tp_optimizer.onnx</c> never sits beside new metadata.</para>
/// <para>Where the OS can exchange two directories in one call (Linux 3.15+, macOS) there is no moment without a
/// models directory; elsewhere the swap is two renames (<see cref="ModelSetSwap.Replaced"/>). A watcher on the models
/// directory follows the old directory's inode; a scorer must re-arm its watcher when the directory is replaced.</para>
/// </remarks>
internal static class ModelSetInstaller
{
    // The drift bins and the holdout curves belong to the set they were trained with: a new set must never inherit them.
    private static readonly string[] SetFileNames = ["training_metadata.json", "improvement_report.md", "feature_manifest.json", Drift.FeatureBins.FileName, ModelSetReport.FileName];
    private static readonly string[] SetFileExtensions = [".onnx", ".joblib", ".pkl"];

    /// <summary>
    /// Whether <paramref name="fileName"/> belongs to a model set: <c>*.onnx</c>, <c>*.joblib</c>, <c>*.pkl</c>,
    /// <c>*_features.json</c>, <c>training_metadata.json</c>, <c>improvement_report.md</c>, <c>feature_manifest.json</c>,
    /// <c>feature_bins.json</c>, <c>model_report.json</c>.
    /// Such files of the old set are replaced as a whole by an install; every other file is kept.
    /// </summary>
    /// <param name="fileName">A file name (no directory).</param>
    /// <returns><see langword="true"/> for a file of the set.</returns>
    public static bool IsModelSetFile(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return SetFileNames.Contains(fileName, StringComparer.Ordinal)
            || SetFileExtensions.Any(e => fileName.EndsWith(e, StringComparison.OrdinalIgnoreCase))
            || fileName.EndsWith("_features.json", StringComparison.Ordinal);
    }

    /// <summary>
    /// Creates an empty, owner-only staging directory next to <paramref name="modelsDirectory"/>:
    /// <c>.&lt;name&gt;.&lt;purpose&gt;-&lt;random&gt;</c> in the same parent (created when missing).
    /// </summary>
    /// <param name="modelsDirectory">The models directory the set will be installed into (need not exist).</param>
    /// <param name="purpose">A short lower-case word for the name, e.g. <c>train</c> or <c>download</c>.</param>
    /// <returns>The full path of the new directory.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelsDirectory"/> is a root directory or <paramref name="purpose"/> is not a lower-case word.</exception>
    public static string CreateStagingDirectory(string modelsDirectory, string purpose)
    {
        (_, string parent, string name) = Split(modelsDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        if (!purpose.All(char.IsAsciiLetterLower))
        {
            throw new ArgumentException($"The purpose must be a lower-case word (was '{purpose}').", nameof(purpose));
        }

        PrivateDirectory.Create(parent);
        string staging = Path.Combine(parent, $".{name}.{purpose}-{Guid.NewGuid():N}");
        PrivateDirectory.Create(staging);
        return staging;
    }

    /// <summary>
    /// Makes the set in <paramref name="stagingDirectory"/> the content of <paramref name="modelsDirectory"/> atomically,
    /// keeping the files of the models directory that are not part of a set (see <see cref="IsModelSetFile"/>). The staging
    /// directory no longer exists afterwards; after a failure the caller deletes it (<see cref="DeleteDirectory"/>). The
    /// caller validates the set first.
    /// </summary>
    /// <param name="stagingDirectory">A directory from <see cref="CreateStagingDirectory"/> (same parent as the models directory).</param>
    /// <param name="modelsDirectory">The models directory (created when missing).</param>
    /// <returns>How the set was put in place.</returns>
    /// <exception cref="ArgumentException">The staging directory does not exist or is not next to the models directory.</exception>
    /// <exception cref="IOException">A file could not be copied or a directory renamed; the models directory is unchanged then.</exception>
    /// <exception cref="UnauthorizedAccessException">The process may not write there; the models directory is unchanged then.</exception>
    public static ModelSetSwap Install(string stagingDirectory, string modelsDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stagingDirectory);
        (string target, string parent, string name) = Split(modelsDirectory);
        string staging = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stagingDirectory));
        if (!Directory.Exists(staging))
        {
            throw new ArgumentException($"The staging directory {staging} does not exist.", nameof(stagingDirectory));
        }

        if (!string.Equals(Path.GetDirectoryName(staging), parent, StringComparison.Ordinal) || string.Equals(staging, target, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The staging directory {staging} must be a sibling of the models directory {target} (same parent, so the swap is a rename); use {nameof(CreateStagingDirectory)}.",
                nameof(stagingDirectory));
        }

        // The renames below are only durable if the data they expose is on disk first.
        foreach (string file in Directory.EnumerateFiles(staging))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            stream.Flush(flushToDisk: true);
        }

        FileSystemDurability.SyncDirectory(staging);
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            FileSystemDurability.SyncDirectory(parent);
            return ModelSetSwap.Created;
        }

        KeepUnrelatedFiles(target, staging);
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                File.SetUnixFileMode(staging, File.GetUnixFileMode(target));
            }
            catch (IOException)
            {
                // Not every file system keeps modes; the set is installed with the staging directory's mode then.
            }
        }

        ModelSetSwap swap;
        if (DirectoryExchange.TryExchange(staging, target))
        {
            // The staging path now holds the old set.
            swap = ModelSetSwap.Exchanged;
            DeleteDirectory(staging);
        }
        else
        {
            string retired = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
            Directory.Move(target, retired);
            try
            {
                Directory.Move(staging, target);
            }
            catch
            {
                Directory.Move(retired, target);
                throw;
            }

            swap = ModelSetSwap.Replaced;
            DeleteDirectory(retired);
        }

        FileSystemDurability.SyncDirectory(parent);
        return swap;
    }

    /// <summary>
    /// Deletes the staging directories next to <paramref name="modelsDirectory"/> (<c>.&lt;name&gt;.&lt;purpose&gt;-&lt;random&gt;</c>)
    /// last written more than <paramref name="olderThan"/> ago: what a process killed in the middle of a training or
    /// download left behind. Younger ones may belong to a run in progress and are kept.
    /// </summary>
    /// <param name="modelsDirectory">The models directory.</param>
    /// <param name="olderThan">The age (by the file system's clock) from which a staging directory is abandoned.</param>
    /// <returns>The number of directories deleted.</returns>
    public static int DeleteStaleStagingDirectories(string modelsDirectory, TimeSpan olderThan)
    {
        (_, string parent, string name) = Split(modelsDirectory);
        if (!Directory.Exists(parent))
        {
            return 0;
        }

        int deleted = 0;
        DateTime cutoff = DateTime.UtcNow - olderThan;
        foreach (string directory in Directory.EnumerateDirectories(parent, $".{name}.*-*"))
        {
            string suffix = Path.GetFileName(directory)[(name.Length + 2)..];
            int dash = suffix.LastIndexOf('-');
            bool ours = dash > 0 && suffix[..dash].All(char.IsAsciiLetterLower) && suffix[(dash + 1)..] is { Length: 32 } random && random.All(char.IsAsciiHexDigitLower);
            if (ours && Directory.GetLastWriteTimeUtc(directory) < cutoff && DeleteDirectory(directory))
            {
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>Deletes a staging directory and everything in it; a directory that does not exist is fine.</summary>
    /// <param name="directory">The directory, or <see langword="null"/>.</param>
    /// <returns><see langword="false"/> when it could not be deleted (it is hidden and harmless then; nothing reads it).</returns>
    public static bool DeleteDirectory(string? directory)
    {
        if (directory is null || !Directory.Exists(directory))
        {
            return true;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static (string Target, string Parent, string Name) Split(string modelsDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelsDirectory));
        string? parent = Path.GetDirectoryName(target);
        string name = Path.GetFileName(target);
        if (parent is null || name.Length == 0)
        {
            throw new ArgumentException($"The models directory cannot be a root directory ({target}).", nameof(modelsDirectory));
        }

        return (target, parent, name);
    }

    private static void KeepUnrelatedFiles(string source, string destination)
    {
        foreach (string path in Directory.EnumerateFiles(source))
        {
            string fileName = Path.GetFileName(path);
            string copy = Path.Combine(destination, fileName);
            if (!IsModelSetFile(fileName) && !File.Exists(copy))
            {
                File.Copy(path, copy);
            }
        }

        foreach (string path in Directory.EnumerateDirectories(source))
        {
            string copy = Path.Combine(destination, Path.GetFileName(path));
            if (!Directory.Exists(copy))
            {
                CopyTree(path, copy);
            }
        }
    }

    private static void CopyTree(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (string directory in Directory.EnumerateDirectories(source))
        {
            CopyTree(directory, Path.Combine(destination, Path.GetFileName(directory)));
        }
    }
}
