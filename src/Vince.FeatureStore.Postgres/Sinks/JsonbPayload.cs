namespace Vince.FeatureStore.Postgres;

/// <summary>The record JSON as PostgreSQL's jsonb accepts it.</summary>
internal static class JsonbPayload
{
    /// <summary>
    /// Serializes <paramref name="record"/> (the whole record, as in the JSONL log). PostgreSQL text cannot hold
    /// U+0000, so its escape <c>\u0000</c> becomes <c>\uFFFD</c> (same length, rewritten in place);
    /// <paramref name="replacedNul"/> tells whether that happened. The JSONL log keeps the original.
    /// </summary>
    public static byte[] Encode(FeatureRecord record, out bool replacedNul)
    {
        byte[] json = FeatureJson.SerializeToUtf8Bytes(record);
        replacedNul = ReplaceNulEscapes(json);
        return json;
    }

    /// <summary>Rewrites every <c>\u0000</c> escape in JSON text to <c>\uFFFD</c>; escaped backslashes are skipped correctly.</summary>
    internal static bool ReplaceNulEscapes(Span<byte> json)
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
                // Skip the escaped character, so "\\u0000" (a backslash, then the text u0000) is left alone.
                i++;
            }
        }

        return replaced;
    }
}
