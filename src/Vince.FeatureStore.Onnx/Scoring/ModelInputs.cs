using System.Text.Json;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Metadata;

namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>A model's input columns (and a classifier's labels) from the files a trainer wrote, with where they came from.</summary>
internal sealed record ModelInputs(IReadOnlyList<string> Columns, string Source, IReadOnlyList<double>? ClassLabels)
{
    /// <summary>
    /// <c>model_inputs.&lt;name&gt;</c> of the metadata, else (signal quality) <c>signal_quality_feature_names</c>, else the
    /// model's <c>&lt;name&gt;_features.json</c>, as read with the model in <paramref name="files"/>.
    /// </summary>
    public static ModelInputs Read(ModelFiles files, TrainingModel model, TrainingMetadata? metadata)
    {
        string name = TrainingModels.Name(model);
        string metadataPath = files.MetadataPath;
        if (metadata?.AdditionalProperties.TryGetValue("model_inputs", out JsonElement inputs) == true
            && inputs.ValueKind == JsonValueKind.Object
            && inputs.TryGetProperty(name, out JsonElement entry)
            && entry.ValueKind == JsonValueKind.Object
            && Strings(entry, "features") is { Count: > 0 } columns)
        {
            IReadOnlyList<double>? labels = entry.TryGetProperty("class_labels", out JsonElement l) && l.ValueKind == JsonValueKind.Array
                ? l.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetDouble()).ToList()
                : null;
            return new ModelInputs(columns, $"{metadataPath} (model_inputs.{name})", labels);
        }

        if (model == TrainingModel.SignalQuality && metadata?.SignalQualityFeatureNames is { Count: > 0 } quality)
        {
            return new ModelInputs(quality, $"{metadataPath} (signal_quality_feature_names)", null);
        }

        string featuresPath = files.FeaturesPath;
        if (files.FeaturesBytes is { } features)
        {
            try
            {
                using JsonDocument document = PythonJson.Parse(features);
                if (document.RootElement.ValueKind == JsonValueKind.Object && Strings(document.RootElement, "features") is { Count: > 0 } fromFile)
                {
                    return new ModelInputs(fromFile, featuresPath, null);
                }
            }
            catch (JsonException ex)
            {
                throw new OnnxModelLoadException(featuresPath, $"{featuresPath} is not valid JSON: {ex.Message}", ex);
            }

            throw new OnnxModelLoadException(featuresPath, $"{featuresPath} has no 'features' list of names.");
        }

        throw new OnnxModelLoadException(metadataPath,
            $"The input columns of {files.ModelPath} are unknown: {metadataPath} has no model_inputs.{name}" +
            $"{(model == TrainingModel.SignalQuality ? " nor signal_quality_feature_names" : "")} and {featuresPath} does not exist.");
    }

    private static List<string>? Strings(JsonElement element, string property)
        => element.TryGetProperty(property, out JsonElement list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : null;
}
