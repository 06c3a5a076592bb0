using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Onnx.Diagnostics;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// Writes the snapshot a set was trained on into its <c>training_metadata.json</c> as <c>data_source</c> (kind, as_of,
/// records, sha256), whichever trainer wrote the file. The key is added as text before the closing brace, so the
/// trainer's own bytes (Python's bare <c>NaN</c> tokens included) stay as they were.
/// </summary>
internal static class TrainingDataSource
{
    public static void Stamp(string setDirectory, FeatureSnapshotManifest snapshot, ILogger logger)
    {
        string path = Path.Combine(setDirectory, TrainingMetadata.FileName);
        if (!File.Exists(path))
        {
            return; // the validator reports the missing file
        }

        byte[] content = File.ReadAllBytes(path);
        TrainingMetadata metadata = TrainingMetadata.Parse(content); // throws on a file that is not one JSON object
        if (metadata.AdditionalProperties.ContainsKey(FeatureSnapshotManifest.MetadataKey))
        {
            TrainingLog.DataSourceKept(logger, path, snapshot.Sha256);
            return;
        }

        string text = Encoding.UTF8.GetString(content);
        int close = text.LastIndexOf('}');
        int before = close - 1;
        while (before >= 0 && char.IsWhiteSpace(text[before]))
        {
            before--;
        }

        var value = new MemoryStream();
        using (var writer = new Utf8JsonWriter(value))
        {
            snapshot.WriteTo(writer, full: false);
        }

        string entry = $"\"{FeatureSnapshotManifest.MetadataKey}\": {Encoding.UTF8.GetString(value.ToArray())}";
        string stamped = before >= 0 && text[before] == '{'
            ? text[..close] + entry + text[close..]
            : text[..(before + 1)] + ",\n  " + entry + text[(before + 1)..];
        string temp = path + ".tmp";
        File.WriteAllText(temp, stamped, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temp, path, overwrite: true);
    }
}
