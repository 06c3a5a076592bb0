using System.Text.Json;
using Vince.FeatureStore.Flattening;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Tests.Support;

/// <summary>Reads a trained model set back the way a consumer would, independent of the trainer's internals.</summary>
internal static class RecordVectors
{
    /// <summary>The <c>features</c> list of <c>&lt;model&gt;_features.json</c>.</summary>
    public static IReadOnlyList<string> FeatureNames(string modelsDirectory, string model)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(modelsDirectory, model + "_features.json")));
        return document.RootElement.GetProperty("features").EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    /// <summary>Every record of the log in decision-time order with its vector for <paramref name="columns"/> (per-asset history of all earlier records).</summary>
    public static async Task<List<(FeatureRecord Record, float[] Vector)>> BuildAsync(string dataDirectory, IReadOnlyList<string> columns)
    {
        CompiledColumns compiled = FeatureFlattener.Compile(columns);
        Assert.Empty(compiled.UnknownNames);
        var history = new FeatureHistory();
        var result = new List<(FeatureRecord, float[])>();
        await foreach (FeatureRecord record in new FeatureLogReader(dataDirectory).ReadRecordsAsync())
        {
            float[] vector = new float[compiled.Count];
            compiled.Fill(record, history, vector);
            result.Add((record, vector));
            history.Add(record);
        }

        return result;
    }
}
