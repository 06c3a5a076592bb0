using System.Security.Cryptography;

namespace Vince.FeatureStore;

/// <summary>
/// Creates record ids in the existing writer's format <c>&lt;unix-ms&gt;-&lt;9 base36 chars&gt;</c>,
/// e.g. <c>1769100000000-k3j9x0a2b</c>. Anywhere else ids are opaque strings.
/// </summary>
internal static class FeatureRecordId
{
    private const string Base36 = "0123456789abcdefghijklmnopqrstuvwxyz";
    private const int RandomLength = 9;

    /// <summary>Creates a new id for the given decision time.</summary>
    /// <param name="timestamp">Decision time.</param>
    /// <returns>A new id.</returns>
    public static string New(DateTimeOffset timestamp) => New(timestamp.ToUnixTimeMilliseconds());

    /// <summary>Creates a new id for the given decision time in Unix epoch milliseconds.</summary>
    /// <param name="unixMilliseconds">Decision time, Unix epoch milliseconds.</param>
    /// <returns>A new id.</returns>
    public static string New(long unixMilliseconds)
    {
        Span<char> buffer = stackalloc char[20 + 1 + RandomLength];
        if (!unixMilliseconds.TryFormat(buffer, out int written, provider: System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("Unreachable: a long always fits in 20 characters.");
        }

        buffer[written++] = '-';
        for (int i = 0; i < RandomLength; i++)
        {
            // 252 = 7 × 36: bytes at or above it would bias the first digits; draw again for those.
            byte value;
            do
            {
                value = NextRandomByte();
            }
            while (value >= 252);
            buffer[written++] = Base36[value % 36];
        }

        return new string(buffer[..written]);
    }

    // Each RandomNumberGenerator call costs about a microsecond whatever its length (a syscall per call),
    // so draw a block per thread and hand out its bytes.
    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_position;

    private static byte NextRandomByte()
    {
        byte[] block = t_random ??= new byte[256];
        if (t_position == 0 || t_position >= block.Length)
        {
            RandomNumberGenerator.Fill(block);
            t_position = 0;
        }

        return block[t_position++];
    }

    /// <summary>
    /// True when <paramref name="id"/> has the generated shape. Ids from other writers need not; this is
    /// a diagnostic, not a validation rule.
    /// </summary>
    /// <param name="id">The id to check.</param>
    /// <returns>Whether the id is <c>digits-9 base36</c>.</returns>
    public static bool HasGeneratedShape(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return false;
        }

        int dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || id.Length - dash - 1 != RandomLength)
        {
            return false;
        }

        for (int i = 0; i < dash; i++)
        {
            if (!char.IsAsciiDigit(id[i]))
            {
                return false;
            }
        }

        for (int i = dash + 1; i < id.Length; i++)
        {
            if (!Base36.Contains(id[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
