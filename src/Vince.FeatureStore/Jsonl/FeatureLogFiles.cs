using System.Globalization;

namespace Vince.FeatureStore.Jsonl;

/// <summary>Names and order of the files in a feature data directory (FORMATS.md §3).</summary>
internal static class FeatureLogFiles
{
    public const string FeaturePrefix = "features_";
    public const string SyntheticPrefix = "synthetic_";
    public const string CombinedName = "combined.jsonl";
    public const string Extension = ".jsonl";

    /// <summary>Builds <c>features_YYYY-MM-DD_&lt;unix-ms&gt;.jsonl</c>.</summary>
    public static string FeatureFileName(DateTimeOffset createdUtc)
        => string.Create(CultureInfo.InvariantCulture,
            $"{FeaturePrefix}{createdUtc.UtcDateTime:yyyy-MM-dd}_{createdUtc.ToUnixTimeMilliseconds()}{Extension}");

    /// <summary>
    /// Parses a feature file name into its sort key (the creation time in Unix ms) and UTC date.
    /// Names with another shape are not feature files of this library's writer.
    /// </summary>
    public static bool TryParseFeatureFileName(string fileName, out long createdUnixMs, out DateOnly date)
    {
        createdUnixMs = 0;
        date = default;
        // features_ + yyyy-MM-dd + _ + digits + .jsonl
        if (!fileName.StartsWith(FeaturePrefix, StringComparison.Ordinal)
            || !fileName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> middle = fileName.AsSpan(FeaturePrefix.Length, fileName.Length - FeaturePrefix.Length - Extension.Length);
        if (middle.Length < 12 || middle[10] != '_')
        {
            return false;
        }

        return DateOnly.TryParseExact(middle[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date)
               && long.TryParse(middle[11..], NumberStyles.None, CultureInfo.InvariantCulture, out createdUnixMs);
    }

    /// <summary>
    /// The feature files of <paramref name="directory"/> in write order. Files named
    /// <c>features_*.jsonl</c> that do not parse come first, by name (another writer's; still read).
    /// </summary>
    public static List<string> ListFeatureFiles(string directory)
    {
        var files = new List<(long Key, string Name)>();
        if (!Directory.Exists(directory))
        {
            return [];
        }

        foreach (string path in Directory.EnumerateFiles(directory, FeaturePrefix + "*" + Extension))
        {
            string name = Path.GetFileName(path);
            long key = TryParseFeatureFileName(name, out long ms, out _) ? ms : long.MinValue;
            files.Add((key, name));
        }

        files.Sort(static (a, b) => LogPosition.CompareFiles(a.Key, a.Name, b.Key, b.Name));
        return files.ConvertAll(f => f.Name);
    }

    /// <summary>
    /// The files training and analysis read, in the Python script's order: the feature files (write order), then,
    /// unless <paramref name="realOnly"/>, <c>synthetic_*.jsonl</c> by name, then <c>combined.jsonl</c>. Later files
    /// hold later versions: on equal ids the version read last wins.
    /// </summary>
    public static List<string> ListTrainingFiles(string directory, bool realOnly)
    {
        List<string> names = ListFeatureFiles(directory);
        if (realOnly || !Directory.Exists(directory))
        {
            return names;
        }

        var synthetic = Directory.EnumerateFiles(directory, SyntheticPrefix + "*" + Extension).Select(Path.GetFileName).OfType<string>().ToList();
        synthetic.Sort(StringComparer.Ordinal);
        names.AddRange(synthetic);
        if (File.Exists(Path.Combine(directory, CombinedName)))
        {
            names.Add(CombinedName);
        }

        return names;
    }

    /// <summary>The name patterns <see cref="ListTrainingFiles"/> looks for, in its order, for messages.</summary>
    public static IReadOnlyList<string> TrainingFilePatterns(bool realOnly)
        => realOnly
            ? [FeaturePrefix + "*" + Extension]
            : [FeaturePrefix + "*" + Extension, SyntheticPrefix + "*" + Extension, CombinedName];
}
