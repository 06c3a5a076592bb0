using System.Security.Cryptography;

namespace Vince.FeatureStore;

/// <summary>
/// Creates record ids in the existing writer's format <c>&lt;unix-ms&gt;-&lt;9 base36 chars&gt;</c>,
/// e.g. <c>1769100000000-k3j9x0a2b</c>. Anywhere else ids are opaque strings.
/// </summary>
public static class FeatureRecordId
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
        Span<byte> random = stackalloc byte[RandomLength];
        RandomNumberGenerator.Fill(random);
        Span<byte> redraw = stackalloc byte[1];
        foreach (byte b in random)
        {
            // 252 = 7 × 36: bytes at or above it would bias the first digits; re-draw those.
            byte value = b;
            while (value >= 252)
            {
                RandomNumberGenerator.Fill(redraw);
                value = redraw[0];
            }

            buffer[written++] = Base36[value % 36];
        }

        return new string(buffer[..written]);
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
