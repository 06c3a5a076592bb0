namespace Vince.FeatureStore;

/// <summary>Helpers for <see cref="IFeatureSink"/> authors writing batches to an upsert-by-id store.</summary>
internal static class FeatureBatches
{
    /// <summary>
    /// The newest version of each id in <paramref name="records"/> (<see cref="RecordVersionOrder.Replaces"/>: the last
    /// one in log order unless an earlier one has a higher <c>updatedAt</c>), in the order the ids first appear. A batch
    /// may hold a decision and its outcome; one SQL statement cannot upsert the same row twice.
    /// </summary>
    /// <param name="records">A batch in log order.</param>
    /// <returns>One record per id.</returns>
    /// <exception cref="ArgumentException">A record has no id.</exception>
    public static List<FeatureRecord> LastVersionPerId(IReadOnlyList<FeatureRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var positions = new Dictionary<string, int>(records.Count, StringComparer.Ordinal);
        var latest = new List<FeatureRecord>(records.Count);
        foreach (FeatureRecord record in records)
        {
            if (string.IsNullOrEmpty(record.Id))
            {
                throw new ArgumentException("A feature record without an id cannot be upserted.", nameof(records));
            }

            if (positions.TryGetValue(record.Id, out int position))
            {
                if (RecordVersionOrder.Replaces(record, latest[position]))
                {
                    latest[position] = record;
                }
            }
            else
            {
                positions.Add(record.Id, latest.Count);
                latest.Add(record);
            }
        }

        return latest;
    }

    /// <summary>
    /// The record's JSON as PostgreSQL (jsonb, and so PostgREST/Supabase) accepts it: its text cannot hold U+0000,
    /// so the escape <c>\u0000</c> becomes <c>\uFFFD</c>. The JSONL log keeps the original.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="replacedNul">Whether a U+0000 was replaced (worth a warning).</param>
    /// <returns>UTF-8 JSON.</returns>
    public static byte[] SerializeForPostgres(FeatureRecord record, out bool replacedNul)
    {
        byte[] json = FeatureJson.SerializeToUtf8Bytes(record);
        replacedNul = ReplaceNulEscapes(json);
        return json;
    }

    /// <summary>
    /// Rewrites every <c>\u0000</c> escape in JSON text to <c>\uFFFD</c> in place (same length); an escaped
    /// backslash followed by the text <c>u0000</c> is left alone.
    /// </summary>
    /// <param name="json">UTF-8 JSON text.</param>
    /// <returns>Whether anything was replaced.</returns>
    public static bool ReplaceNulEscapes(Span<byte> json)
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
                i++; // skip the escaped character
            }
        }

        return replaced;
    }
}
