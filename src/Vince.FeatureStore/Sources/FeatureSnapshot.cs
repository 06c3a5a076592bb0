using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Sources;

/// <summary>
/// Materializes a source into a directory a trainer reads: one <c>features_*.jsonl</c> with one line per record (the
/// latest version of every id, avoided records too, decision-time order), written as the store writes its log, and
/// <c>snapshot.json</c> describing it. Both trainers and the quality gate read only this, so a training sees exactly
/// the records its manifest names, whatever the source does meanwhile. Memory stays flat: records stream through.
/// </summary>
internal static class FeatureSnapshot
{
    /// <summary>Writes the snapshot of <paramref name="source"/> into <paramref name="directory"/> (created when missing).</summary>
    /// <param name="source">The source.</param>
    /// <param name="directory">An empty directory.</param>
    /// <param name="asOf">The snapshot time (names the file).</param>
    /// <param name="cancellationToken">Stops the copy; the partial file is left for the caller to delete with the directory.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="InvalidDataException">The source returned records out of decision-time order.</exception>
    public static async Task<FeatureSnapshotManifest> WriteAsync(FeatureSource source, string directory, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        PrivateDirectory.Create(directory);
        string fileName = FeatureLogFiles.FeatureFileName(asOf);
        string path = Path.Combine(directory, fileName);

        int records = 0;
        long previous = long.MinValue;
        string previousId = "";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
            {
                await foreach (FeatureRecord record in source.Query.ReadRecordsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    if (record.Timestamp < previous)
                    {
                        throw new InvalidDataException(
                            $"{source.Description} returned {record.Id} (timestamp {record.Timestamp}) after {previousId} (timestamp {previous}): a snapshot must be in decision-time order, as lag columns depend on it.");
                    }

                    previous = record.Timestamp;
                    previousId = record.Id;
                    FeatureJson.Serialize(writer, record);
                    writer.Flush();
                    writer.Reset();
                    buffer.Write("\n"u8);
                    records++;
                    if (buffer.WrittenCount >= 1 << 16)
                    {
                        await FlushAsync(buffer, file, hash, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            await FlushAsync(buffer, file, hash, cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        var manifest = new FeatureSnapshotManifest(source.KindName, source.Description, asOf, records, Convert.ToHexStringLower(hash.GetHashAndReset()), fileName);
        await using (var stream = new FileStream(Path.Combine(directory, FeatureSnapshotManifest.ManifestFileName), FileMode.CreateNew, FileAccess.Write, FileShare.None))
        await using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            manifest.WriteTo(writer, full: true);
        }

        return manifest;
    }

    private static async ValueTask FlushAsync(ArrayBufferWriter<byte> buffer, FileStream file, IncrementalHash hash, CancellationToken cancellationToken)
    {
        hash.AppendData(buffer.WrittenSpan);
        await file.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        buffer.ResetWrittenCount();
    }
}
