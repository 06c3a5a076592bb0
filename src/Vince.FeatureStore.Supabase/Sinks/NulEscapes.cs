namespace Vince.FeatureStore.Supabase;

/// <summary>PostgreSQL's jsonb cannot hold U+0000: its escape <c>\u0000</c> becomes <c>\uFFFD</c> (same length, in place).</summary>
internal static class NulEscapes
{
    /// <summary>Rewrites every <c>\u0000</c> escape in JSON text to <c>\uFFFD</c>; escaped backslashes are skipped correctly.</summary>
    /// <returns>Whether anything was replaced.</returns>
    public static bool Replace(Span<byte> json)
    {
        if (json.IndexOf("\\u0000"u8) < 0)
        {
            return false;
        }

        bool replaced = false;
        for (int i = 0; i < json.Length; i++)
        {
            if (json[i] != (byte)'\\' || i + 1 >= json.Length)
            {
                continue;
            }

            if (json[i + 1] == (byte)'u' && i + 5 < json.Length && json.Slice(i + 2, 4).SequenceEqual("0000"u8))
            {
                "FFFD"u8.CopyTo(json.Slice(i + 2, 4));
                replaced = true;
                i += 5;
            }
            else
            {
                i++;
            }
        }

        return replaced;
    }
}
