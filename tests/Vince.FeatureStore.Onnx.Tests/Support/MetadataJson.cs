using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Vince.FeatureStore.Onnx.Tests.Support;

/// <summary>Writes training_metadata.json files the way the training script does (snake_case keys, indent 2).</summary>
public static class MetadataJson
{
    public static JsonObject For(IReadOnlyList<string> featureNames, double? threshold = null, (double Scale, double Intercept)? calibration = null)
    {
        var report = new JsonObject
        {
            ["feature_importances"] = new JsonObject { ["signal_quality"] = new JsonObject { [featureNames[0]] = 0.4 } },
            ["action_items"] = new JsonArray("Collect more trades."),
        };
        if (threshold is { } t)
        {
            report["suggested_signal_quality_threshold"] = t;
        }

        if (calibration is { } c)
        {
            report["signal_quality_calibration"] = new JsonObject { ["scale"] = c.Scale, ["intercept"] = c.Intercept };
        }

        return new JsonObject
        {
            ["trained_at"] = "2026-01-22T14:03:11.512345",
            ["data_file"] = ".elizadb/vince-paper-bot/features",
            ["total_records"] = 400,
            ["trades_with_outcomes"] = 180,
            ["models_trained"] = new JsonArray("signal_quality"),
            ["models_fit"] = new JsonArray("signal_quality"),
            ["signal_quality_input_dim"] = featureNames.Count,
            ["signal_quality_feature_names"] = new JsonArray(featureNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["improvement_report"] = report,
        };
    }

    public static JsonObject WithHash(this JsonObject metadata, string modelPath)
    {
        metadata["onnx_hashes"] = new JsonObject { ["signal_quality"] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(modelPath))) };
        return metadata;
    }

    public static void Save(this JsonObject metadata, string path)
        => File.WriteAllText(path, metadata.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
}
