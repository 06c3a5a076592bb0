using System.Globalization;
using System.Text.Json;

namespace Vince.FeatureStore;

/// <summary>
/// What a training read: the snapshot of its source (<c>snapshot.json</c> beside the snapshot's log file, and
/// <c>data_source</c> in <c>training_metadata.json</c>; docs/formats.md).
/// </summary>
public sealed class FeatureSnapshotManifest
{
    internal FeatureSnapshotManifest(string kind, string description, DateTimeOffset asOf, int records, string sha256, string fileName)
    {
        Kind = kind;
        Description = description;
        AsOf = asOf;
        Records = records;
        Sha256 = sha256;
        FileName = fileName;
    }

    /// <summary>The source's kind name: <c>jsonl</c>, <c>postgres</c> or <c>supabase</c>.</summary>
    public string Kind { get; }

    /// <summary>Where the records came from.</summary>
    public string Description { get; }

    /// <summary>When the snapshot was taken (UTC).</summary>
    public DateTimeOffset AsOf { get; }

    /// <summary>Records in the snapshot (one line each: the latest version of every id).</summary>
    public int Records { get; }

    /// <summary>SHA-256 of the snapshot's log file, lower-case hex.</summary>
    public string Sha256 { get; }

    /// <summary>The snapshot's log file (<c>features_YYYY-MM-DD_&lt;unix-ms&gt;.jsonl</c>).</summary>
    public string FileName { get; }

    /// <summary>The manifest's file name in a snapshot directory.</summary>
    public const string ManifestFileName = "snapshot.json";

    /// <summary>The key of the snapshot's summary in <c>training_metadata.json</c>.</summary>
    public const string MetadataKey = "data_source";

    /// <summary>Writes the manifest's fields (<c>kind</c>, <c>as_of</c>, <c>records</c>, <c>sha256</c>; with <paramref name="full"/> also <c>description</c> and <c>file</c>) as one JSON object.</summary>
    internal void WriteTo(Utf8JsonWriter writer, bool full)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", Kind);
        writer.WriteString("as_of", AsOf.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        writer.WriteNumber("records", Records);
        writer.WriteString("sha256", Sha256);
        if (full)
        {
            writer.WriteString("description", Description);
            writer.WriteString("file", FileName);
        }

        writer.WriteEndObject();
    }
}
