using System.Security.Cryptography;

namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>The bytes of the model, its metadata and its feature list, read together as one consistent snapshot.</summary>
internal sealed record ModelFiles(
    string ModelPath,
    byte[] ModelBytes,
    string ModelSha256,
    string MetadataPath,
    byte[]? MetadataBytes,
    string FeaturesPath,
    byte[]? FeaturesBytes)
{
    private const int Attempts = 5;

    /// <summary>Same content as <paramref name="other"/> (so reloading would change nothing); the model is compared by hash.</summary>
    public bool SameContentAs(ModelFiles other)
        => ModelSha256 == other.ModelSha256 && Same(MetadataBytes, other.MetadataBytes) && Same(FeaturesBytes, other.FeaturesBytes);

    /// <summary>The signal-quality scorer's files: <see cref="OnnxScoringOptions.ModelFileName"/> and <see cref="OnnxScoringOptions.MetadataFileName"/>, as <see cref="Read(string, string, string)"/>.</summary>
    public static ModelFiles? Read(string directory, OnnxScoringOptions options) => Read(directory, options.ModelFileName, options.MetadataFileName);

    /// <summary>
    /// Reads <paramref name="modelFileName"/>, <paramref name="metadataFileName"/> and the model's feature list in
    /// <paramref name="directory"/>, or returns <see langword="null"/> when the model file does not exist. A file that
    /// changes while it is read (a training writing it) is read again.
    /// </summary>
    public static ModelFiles? Read(string directory, string modelFileName, string metadataFileName)
    {
        string modelPath = Path.Combine(directory, modelFileName);
        string metadataPath = Path.Combine(directory, metadataFileName);
        string featuresPath = Path.Combine(directory, FeaturesFileName(modelFileName));
        for (int attempt = 1; ; attempt++)
        {
            (long, DateTime)[] before = [Stamp(modelPath), Stamp(metadataPath), Stamp(featuresPath)];
            if (before[0].Item1 < 0)
            {
                return null;
            }

            try
            {
                byte[] model = File.ReadAllBytes(modelPath);
                byte[]? metadata = before[1].Item1 >= 0 ? File.ReadAllBytes(metadataPath) : null;
                byte[]? features = before[2].Item1 >= 0 ? File.ReadAllBytes(featuresPath) : null;
                (long, DateTime)[] after = [Stamp(modelPath), Stamp(metadataPath), Stamp(featuresPath)];
                if (before.AsSpan().SequenceEqual(after) && model.Length == before[0].Item1)
                {
                    return new ModelFiles(modelPath, model, Convert.ToHexString(SHA256.HashData(model)).ToLowerInvariant(), metadataPath, metadata, featuresPath, features);
                }
            }
            catch (FileNotFoundException) when (attempt < Attempts)
            {
            }

            if (attempt == Attempts)
            {
                throw new OnnxModelLoadException(modelPath, $"{modelPath} and its metadata kept changing while being read ({Attempts} attempts).")
                {
                    FilesIncomplete = true,
                };
            }

            Thread.Sleep(50 * attempt);
        }
    }

    /// <summary>The pipeline's per-model feature list beside the model: <c>signal_quality.onnx</c> → <c>signal_quality_features.json</c>.</summary>
    public static string FeaturesFileName(string modelFileName) => Path.GetFileNameWithoutExtension(modelFileName) + "_features.json";

    private static (long Length, DateTime WriteTime) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1, default);
    }

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}
