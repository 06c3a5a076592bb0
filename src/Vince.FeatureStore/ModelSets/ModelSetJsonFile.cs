using System.Text.Json;

namespace Vince.FeatureStore.ModelSets;

/// <summary>
/// The reading rules shared by the versioned JSON files a model set carries (<c>feature_bins.json</c>,
/// <c>model_report.json</c>): a missing file is no file, a damaged one an <see cref="InvalidDataException"/> naming it.
/// </summary>
internal static class ModelSetJsonFile
{
    /// <summary>Parses <paramref name="fileName"/> of <paramref name="modelsDirectory"/>, or <see langword="null"/> when it does not exist.</summary>
    /// <exception cref="InvalidDataException">The file exists but <paramref name="parse"/> refuses it.</exception>
    public static T? TryLoad<T>(string modelsDirectory, string fileName, Func<ReadOnlyMemory<byte>, T> parse)
        where T : class
    {
        string path = Path.Combine(modelsDirectory, fileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return parse(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a valid {fileName}: {ex.Message}", ex);
        }
    }

    /// <summary>Checks the file's <c>format</c> number.</summary>
    /// <exception cref="FormatException">Another format than <paramref name="supported"/>.</exception>
    public static void EnsureFormat(JsonElement root, int supported)
    {
        int format = root.GetProperty("format").GetInt32();
        if (format != supported)
        {
            throw new FormatException($"format {format} is not supported (this version reads format {supported}).");
        }
    }
}
