using System.Runtime.InteropServices;

namespace Vince.FeatureStore.ModelSets;

/// <summary>Swaps two directories in one atomic rename where the OS offers it.</summary>
internal static partial class DirectoryExchange
{
    private const int AtFdCwd = -100;
    private const uint RenameExchange = 2; // Linux RENAME_EXCHANGE
    private const uint RenameSwap = 2;     // macOS RENAME_SWAP

    /// <summary>
    /// Exchanges <paramref name="first"/> and <paramref name="second"/> (both must exist, on one file system).
    /// </summary>
    /// <returns><see langword="false"/> when the OS, C library or file system cannot do it; nothing changed then.</returns>
    public static bool TryExchange(string first, string second)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                return RenameAt2(AtFdCwd, first, AtFdCwd, second, RenameExchange) == 0;
            }

            if (OperatingSystem.IsMacOS())
            {
                return RenameXNp(first, second, RenameSwap) == 0;
            }
        }
        catch (EntryPointNotFoundException)
        {
            // A C library without renameat2 (glibc < 2.28, some musl versions): fall back to two renames.
        }
        catch (DllNotFoundException)
        {
        }

        return false;
    }

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "renamex_np", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameXNp(string from, string to, uint flags);
}
