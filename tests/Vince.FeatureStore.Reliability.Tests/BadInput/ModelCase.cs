using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Onnx.Tests.Support;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.BadInput;

/// <summary>
/// A models directory for one model or metadata case of tests/bad-input: the case's file next to a valid partner
/// (a real 3-feature ONNX logistic regression built with protobuf, or the corpus's valid metadata).
/// </summary>
internal sealed class ModelCase : IDisposable
{
    public const string ValidMetadata = "metadata-valid-for-model-cases.training_metadata.json";
    public static readonly string[] FeatureNames = ["market_price", "market_atrPct", "signal_strength"];

    private readonly TempDirectory _dir = new();

    public ModelCase() => Directory.CreateDirectory(ModelsDirectory);

    public string ModelsDirectory => _dir.File("models");

    public string ModelPath => Path.Combine(ModelsDirectory, "signal_quality.onnx");

    public string MetadataPath => Path.Combine(ModelsDirectory, "training_metadata.json");

    /// <summary>A valid model of the width of <see cref="FeatureNames"/>.</summary>
    public static byte[] ValidModel() => OnnxModels.LogisticRegression([0.001f, 0.2f, 0.01f], -1f).ToByteArray();

    /// <summary>Writes the valid pair.</summary>
    public void WriteValidPair()
    {
        File.WriteAllBytes(ModelPath, ValidModel());
        File.WriteAllBytes(MetadataPath, CorpusCase.ReadCorpusFile(ValidMetadata));
    }

    /// <summary>Puts the case's file in place of its kind (a model or the metadata); its partner stays valid.</summary>
    public void WriteCase(string file)
    {
        if (file.EndsWith(".onnx", StringComparison.Ordinal))
        {
            File.WriteAllBytes(ModelPath, CorpusCase.ReadCorpusFile(file));
        }
        else
        {
            File.WriteAllBytes(MetadataPath, CorpusCase.ReadCorpusFile(file));
        }
    }

    public OnnxSignalQualityScorer Scorer(ILoggerFactory loggers)
        => new(new OnnxScoringOptions { ModelsDirectory = ModelsDirectory, WatchForChanges = false }, loggers);

    public void Dispose() => _dir.Dispose();
}
