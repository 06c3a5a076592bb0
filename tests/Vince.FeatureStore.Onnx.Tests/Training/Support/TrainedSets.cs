using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vince.FeatureStore.Onnx.Model.Proto;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Training.Support;

/// <summary>
/// Model sets as a trainer writes them, built from real ONNX models (the test builder) with expected scores computed
/// by hand: "trees" (the XGBoost export of the Python script, renamed output included, plus a second model with its
/// features file) and "linear" (a logistic regression), whose probabilities differ for every test record.
/// </summary>
public static class TrainedSets
{
    public static readonly string[] SizingFeatures = ["signal_strength", "signal_confidence", "signal_source_count", "session_isWeekend", "exec_streakMultiplier", "market_atrPct"];

    public static readonly float[] LinearWeights = Enumerable.Range(0, FeatureNames.Length).Select(i => ((i % 4) - 1.5f) * 0.017f).ToArray();

    public const float LinearBias = 0.1f;

    /// <summary>The Python pipeline's layout: signal_quality (renamed output), position_sizing with its features file, metadata with hashes.</summary>
    public static void WriteTrees(string directory, string trainedAt = "2026-01-22T14:03:11.512345")
    {
        Directory.CreateDirectory(directory);
        Save(OnnxModels.WithRenamedOutput(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length)), directory, "signal_quality");
        Save(OnnxModels.LogisticRegression(SizingFeatures.Select((_, i) => 0.1f * (i + 1)).ToArray(), 0.2f), directory, "position_sizing");
        new JsonObject
        {
            ["model"] = "position_sizing",
            ["features"] = new JsonArray(SizingFeatures.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["n_features"] = SizingFeatures.Length,
        }.Save(Path.Combine(directory, "position_sizing_features.json"));
        JsonObject metadata = MetadataJson.For(FeatureNames);
        metadata["trained_at"] = trainedAt;
        metadata["models_trained"] = new JsonArray("signal_quality", "position_sizing");
        metadata["models_fit"] = new JsonArray("signal_quality", "position_sizing");
        metadata["onnx_hashes"] = Hashes(directory, "signal_quality", "position_sizing");
        metadata.Save(Path.Combine(directory, "training_metadata.json"));
        File.WriteAllText(Path.Combine(directory, "improvement_report.md"), "# Improvement report\n");
    }

    /// <summary>One logistic-regression signal-quality model and its metadata.</summary>
    public static void WriteLinear(string directory)
    {
        Directory.CreateDirectory(directory);
        Save(OnnxModels.LogisticRegression(LinearWeights, LinearBias), directory, "signal_quality");
        JsonObject metadata = MetadataJson.For(FeatureNames);
        metadata["onnx_hashes"] = Hashes(directory, "signal_quality");
        metadata.Save(Path.Combine(directory, "training_metadata.json"));
    }

    /// <summary>A model taking 13 inputs with metadata naming all 27 columns.</summary>
    public static void WriteWidthMismatch(string directory)
    {
        Directory.CreateDirectory(directory);
        Save(OnnxModels.XgboostClassifier([new Leaf(0.3f)], 13), directory, "signal_quality");
        MetadataJson.For(FeatureNames).Save(Path.Combine(directory, "training_metadata.json"));
    }

    /// <summary>Bytes that are not an ONNX model, listed by the metadata.</summary>
    public static void WriteCorrupt(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "signal_quality.onnx"), [0x08, 0x07, 0xFF, 0xFF, 0x12, 0x34, 0x00, 0x99, 0x42]);
        MetadataJson.For(FeatureNames).Save(Path.Combine(directory, "training_metadata.json"));
    }

    /// <summary>The minimal file the script writes with fewer than --min-samples complete trades.</summary>
    public static void WriteEmpty(string directory)
    {
        Directory.CreateDirectory(directory);
        new JsonObject
        {
            ["trained_at"] = "2026-01-22T14:03:11",
            ["data_file"] = "features",
            ["total_records"] = 40,
            ["trades_with_outcomes"] = 12,
            ["models_trained"] = new JsonArray(),
            ["models_fit"] = new JsonArray(),
        }.Save(Path.Combine(directory, "training_metadata.json"));
    }

    public static double ExpectedTrees(FeatureRecord record, params double?[] previous) => OnnxModels.Probability(Trees, ExpectedVector(record, previous));

    public static double ExpectedLinear(FeatureRecord record, params double?[] previous)
    {
        float[] x = ExpectedVector(record, previous);
        double z = LinearBias;
        for (int i = 0; i < x.Length; i++)
        {
            z += LinearWeights[i] * x[i];
        }

        return 1 / (1 + Math.Exp(-z));
    }

    private static void Save(ModelProto model, string directory, string name) => OnnxModels.Save(model, Path.Combine(directory, name + ".onnx"));

    private static JsonObject Hashes(string directory, params string[] models)
    {
        var hashes = new JsonObject();
        foreach (string model in models)
        {
            hashes[model] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(directory, model + ".onnx"))));
        }

        return hashes;
    }
}
