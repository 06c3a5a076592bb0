namespace Vince.FeatureStore;

/// <summary>
/// Creates directories that only their owner can read: the data directory (trading decisions) and the models
/// directory (trained models) are private to the bot's user. On Unix each directory this creates gets mode
/// <c>0700</c> (<see cref="OwnerOnlyMode"/>); on Windows the directory inherits its parent's ACL, as usual there.
/// </summary>
/// <remarks>
/// A directory that already exists is left as it is: its owner chose its permissions. Model installers that stage a
/// download or a training next to the models directory should create the staging directory with
/// <see cref="Create"/> too, so the installed directory (renamed into place) is private.
/// </remarks>
internal static class PrivateDirectory
{
    /// <summary>Read, write and search for the owner only (<c>0700</c>).</summary>
    public const UnixFileMode OwnerOnlyMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>
    /// Creates <paramref name="path"/> and any missing parent with owner-only permissions where the OS has them;
    /// does nothing to a directory that exists.
    /// </summary>
    /// <param name="path">The directory to create.</param>
    /// <returns>The directory.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or holds a NUL character.</exception>
    public static DirectoryInfo Create(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A directory path must not contain a NUL character.", nameof(path));
        }

        if (Directory.Exists(path) || OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }

        // Directory.CreateDirectory(path, mode) applies the mode to the last directory only: create each missing
        // one, outermost first, with the mode.
        var missing = new Stack<string>();
        for (string? current = Path.GetFullPath(path); current is not null && !Directory.Exists(current); current = Path.GetDirectoryName(current))
        {
            missing.Push(current);
        }

        DirectoryInfo created = null!;
        while (missing.TryPop(out string? directory))
        {
            created = Directory.CreateDirectory(directory, OwnerOnlyMode);
        }

        return created;
    }
}
