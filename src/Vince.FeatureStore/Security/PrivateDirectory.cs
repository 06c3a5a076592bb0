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
public static class PrivateDirectory
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

        if (Directory.Exists(path))
        {
            return new DirectoryInfo(path);
        }

        return OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(path)
            : Directory.CreateDirectory(path, OwnerOnlyMode);
    }
}
