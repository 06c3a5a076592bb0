using System.Buffers;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Export;

/// <summary>What <see cref="TrainingExporter"/> wrote.</summary>
/// <param name="CsvPath">The CSV file.</param>
/// <param name="ManifestPath">The <c>feature_manifest.json</c> beside it.</param>
/// <param name="Manifest">The manifest's content.</param>
public sealed record TrainingExportResult(string CsvPath, string ManifestPath, FeatureManifest Manifest);

/// <summary>How far a <see cref="TrainingExporter"/> run is, in its writing pass.</summary>
/// <param name="RecordsRead">Records read so far (every record is read; only labelled ones become rows).</param>
/// <param name="TotalRecords">Records the pass reads in all.</param>
/// <param name="RowsWritten">CSV rows written so far.</param>
public readonly record struct TrainingExportProgress(int RecordsRead, int TotalRecords, int RowsWritten);

/// <summary>
/// Streams records (all versions resolved, in decision-time order) into a training CSV for one model, or with
/// every flattened column, plus <c>feature_manifest.json</c>. Reads the source twice: once to decide the
/// columns (presence, assets), once to write rows, so memory stays flat in the size of the input.
/// </summary>
/// <remarks>
/// Rows are the records the model has a label for; which records feed the per-asset lag columns, and in which
/// order, is <see cref="FeatureHistory"/>'s rule (the store's serving history follows the same one). Values come from <see cref="CompiledColumns"/>, the same accessors the scorer uses,
/// so a model is scored with exactly the values it was trained on.
/// </remarks>
public static class TrainingExporter
{
    /// <summary>How many records apart progress is reported.</summary>
    public const int ProgressInterval = 1000;

    /// <summary>Exports from a feature data directory.</summary>
    /// <param name="reader">The log reader.</param>
    /// <param name="model">The model, or <see langword="null"/> for every flattened column of the complete records.</param>
    /// <param name="csvPath">The CSV to write (replaced atomically).</param>
    /// <param name="cancellationToken">Stops the export; no partial file is left.</param>
    /// <returns>What was written.</returns>
    public static Task<TrainingExportResult> ExportAsync(FeatureLogReader reader, TrainingModel? model, string csvPath, CancellationToken cancellationToken = default)
        => ExportAsync(reader, model, csvPath, null, cancellationToken);

    /// <summary>Exports from a feature data directory, reporting progress.</summary>
    /// <param name="reader">The log reader.</param>
    /// <param name="model">The model, or <see langword="null"/> for every flattened column of the complete records.</param>
    /// <param name="csvPath">The CSV to write (replaced atomically).</param>
    /// <param name="progress">Told every <see cref="ProgressInterval"/> records and once at the end, on the exporting thread (keep it quick).</param>
    /// <param name="cancellationToken">Stops the export; no partial file is left.</param>
    /// <returns>What was written.</returns>
    public static Task<TrainingExportResult> ExportAsync(FeatureLogReader reader, TrainingModel? model, string csvPath, IProgress<TrainingExportProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ExportFromLogAsync(reader, model, csvPath, progress, cancellationToken);
    }

    private static async Task<TrainingExportResult> ExportFromLogAsync(FeatureLogReader reader, TrainingModel? model, string csvPath, IProgress<TrainingExportProgress>? progress, CancellationToken cancellationToken)
    {
        // The version scan also decides the columns, so each record is deserialized once, for its row.
        var presence = new ColumnPresence();
        FeatureLogReader.LogIndex index = await reader.BuildIndexAsync(FeatureQuery.All, cancellationToken, presence).ConfigureAwait(false);
        FeatureDataProfile profile = FeatureDataProfile.FromScan(presence, index.Entries.ConvertAll(e => (e.Asset, e.Rows)));
        return await WriteAsync(profile, ct => reader.ReadIndexedAsync(index, ct), model, csvPath, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Exports from any record source that can be enumerated twice in decision-time order.</summary>
    /// <param name="source">Returns a fresh enumeration of all records (latest version per id) in timestamp order.</param>
    /// <param name="model">The model, or <see langword="null"/> for every flattened column of the complete records.</param>
    /// <param name="csvPath">The CSV to write (replaced atomically).</param>
    /// <param name="cancellationToken">Stops the export; no partial file is left.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="InvalidDataException">The source is not in timestamp order.</exception>
    public static Task<TrainingExportResult> ExportAsync(
        Func<CancellationToken, IAsyncEnumerable<FeatureRecord>> source,
        TrainingModel? model,
        string csvPath,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ExportFromRecordsAsync(source, model, csvPath, null, cancellationToken);
    }

    /// <summary>
    /// Exports from any store: the JSONL log (<see cref="FeatureLogReader"/>) by its version scan, any other
    /// <see cref="IFeatureQuery"/> (Postgres, Supabase) by reading its records twice, streamed, so memory stays flat in
    /// the table's size. The same records give the same CSV whichever store holds them.
    /// </summary>
    /// <param name="query">The store.</param>
    /// <param name="model">The model, or <see langword="null"/> for every flattened column of the complete records.</param>
    /// <param name="csvPath">The CSV to write (replaced atomically).</param>
    /// <param name="progress">Told every <see cref="ProgressInterval"/> records of the writing pass and once at the end, on the exporting thread (keep it quick).</param>
    /// <param name="cancellationToken">Stops the export; no partial file is left.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="InvalidDataException">The store did not return its records in timestamp order.</exception>
    public static Task<TrainingExportResult> ExportAsync(IFeatureQuery query, TrainingModel? model, string csvPath, IProgress<TrainingExportProgress>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query switch
        {
            FeatureLogReader reader => ExportFromLogAsync(reader, model, csvPath, progress, cancellationToken),
            IFeaturePayloadSource payloads => ExportFromPayloadsAsync(query, payloads, model, csvPath, progress, cancellationToken),
            _ => ExportFromRecordsAsync(ct => query.ReadRecordsAsync(null, ct), model, csvPath, progress, cancellationToken),
        };
    }

    /// <summary>A store that streams its JSON: the first pass tokenizes it as the log's version scan does (no record is built), the second writes the rows.</summary>
    private static async Task<TrainingExportResult> ExportFromPayloadsAsync(
        IFeatureQuery query, IFeaturePayloadSource payloads, TrainingModel? model, string csvPath, IProgress<TrainingExportProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(csvPath);
        var presence = new ColumnPresence();
        var profile = new FeatureDataProfile();
        long previous = long.MinValue;
        await foreach (ReadOnlyMemory<byte> payload in payloads.ReadPayloadsAsync(cancellationToken).ConfigureAwait(false))
        {
            // A payload that is not a record is skipped here and reported by the second pass, which reads it again.
            if (RecordLine.TryReadHeader(payload.Span, out RecordHeader header, out _, presence))
            {
                previous = header.Timestamp >= previous ? header.Timestamp : throw OutOfOrder(header.Id, header.Timestamp, previous);
                profile.ObserveScanned(header.Asset, header.Rows);
            }
        }

        profile.AddPresent(presence);
        return await WriteAsync(profile, ct => query.ReadRecordsAsync(null, ct), model, csvPath, progress, cancellationToken).ConfigureAwait(false);
    }

    private static InvalidDataException OutOfOrder(string id, long timestamp, long previous)
        => new($"Records must come in timestamp order (lag columns depend on it): {id} at {timestamp} follows {previous}. FeatureLogReader.ReadRecordsAsync yields them in that order.");

    private static async Task<TrainingExportResult> ExportFromRecordsAsync(
        Func<CancellationToken, IAsyncEnumerable<FeatureRecord>> source,
        TrainingModel? model,
        string csvPath,
        IProgress<TrainingExportProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(csvPath);
        var profile = new FeatureDataProfile();
        long previous = long.MinValue;
        await foreach (FeatureRecord record in source(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (record.Timestamp < previous)
            {
                throw OutOfOrder(record.Id, record.Timestamp, previous);
            }

            previous = record.Timestamp;
            profile.Observe(record);
        }

        return await WriteAsync(profile, source, model, csvPath, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The second pass: rows of the columns <paramref name="profile"/> decides, then the manifest.</summary>
    private static async Task<TrainingExportResult> WriteAsync(
        FeatureDataProfile profile,
        Func<CancellationToken, IAsyncEnumerable<FeatureRecord>> source,
        TrainingModel? model,
        string csvPath,
        IProgress<TrainingExportProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(csvPath);
        csvPath = Path.GetFullPath(csvPath);
        string directory = Path.GetDirectoryName(csvPath)!;
        Directory.CreateDirectory(directory);

        IReadOnlyList<string> columns = model is { } m ? profile.ModelColumns(m) : AllColumns(profile);
        CompiledColumns compiled = FeatureFlattener.Compile(columns);
        string? label = model is { } lm ? TrainingModels.LabelColumn(lm) : null;
        var stats = new RunningStats[columns.Count];
        int rows = 0;

        string temp = csvPath + ".tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                using (var header = new CsvRowWriter(4096))
                {
                    foreach (string column in columns)
                    {
                        header.Field(column);
                    }

                    if (label is not null)
                    {
                        header.Field(label);
                    }

                    header.EndRow();
                    await stream.WriteAsync(header.Written, cancellationToken).ConfigureAwait(false);
                }

                rows = await WriteRowsAsync(stream, source, model, compiled, stats, progress, profile.RecordCount, cancellationToken).ConfigureAwait(false);
            }

            File.Move(temp, csvPath, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }

        var scaling = new Dictionary<string, ColumnScaling>(StringComparer.Ordinal);
        if (model is not null)
        {
            for (int i = 0; i < columns.Count; i++)
            {
                scaling[columns[i]] = stats[i].ToScaling();
            }
        }

        var manifest = new FeatureManifest
        {
            Model = model is { } n ? TrainingModels.Name(n) : "all",
            Label = label,
            Columns = columns,
            RowCount = rows,
            RecordCount = profile.RecordCount,
            Scaling = scaling,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        string manifestPath = Path.Combine(directory, FeatureManifest.FileName);
        FileSystemDurability.WriteAtomically(manifestPath, manifest.ToJsonUtf8(), fsync: false);
        return new TrainingExportResult(csvPath, manifestPath, manifest);
    }

    private static List<string> AllColumns(FeatureDataProfile profile)
    {
        // id, timestamp, asset, then every other column by name: the same order whichever way the profile was made.
        string[] leading = ["id", "timestamp", "asset"];
        var columns = leading.Concat(profile.PresentColumns.Except(leading).Order(StringComparer.Ordinal)).ToList();
        foreach (string column in FeatureSchema.LaggedColumns)
        {
            if (profile.IsPresent(column))
            {
                columns.AddRange([column + "_lag1", column + "_lag2", column + "_lag3", column + "_roll3"]);
            }
        }

        return columns;
    }

    /// <summary>
    /// Writes the rows. They are computed here in record order (lag columns need the earlier records of the
    /// asset) and turned into CSV text in blocks on the thread pool: formatting the numbers costs more than
    /// computing them. Blocks are written in order and reused, so memory stays bounded.
    /// </summary>
    private static async Task<int> WriteRowsAsync(
        FileStream stream,
        Func<CancellationToken, IAsyncEnumerable<FeatureRecord>> source,
        TrainingModel? model,
        CompiledColumns compiled,
        RunningStats[] stats,
        IProgress<TrainingExportProgress>? progress,
        int totalRecords,
        CancellationToken cancellationToken)
    {
        int width = compiled.Count + (model is null ? 0 : 1);
        int maxFormatting = Environment.ProcessorCount + 1;
        var formatting = new Queue<Task<RowBlock>>();
        var spare = new Stack<RowBlock>();
        var created = new List<RowBlock>();
        RowBlock NewBlock()
        {
            var fresh = new RowBlock(width, numeric: model is not null);
            created.Add(fresh);
            return fresh;
        }

        int rows = 0;
        int read = 0;
        try
        {
            RowBlock block = NewBlock();
            var history = new FeatureHistory();
            await foreach (FeatureRecord record in source(cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (model is { } rowModel)
                {
                    if (TrainingModels.LabelOf(rowModel, record) is { } value)
                    {
                        Span<double> row = block.AddNumericRow();
                        compiled.FillModelInputs(record, history, row);
                        for (int i = 0; i < compiled.Count; i++)
                        {
                            stats[i].Add(row[i]);
                        }

                        row[compiled.Count] = value;
                        rows++;
                    }
                }
                else if (record.IsComplete)
                {
                    Span<FeatureValue> row = block.AddTextRow();
                    for (int i = 0; i < compiled.Count; i++)
                    {
                        row[i] = compiled.GetValue(i, record, history);
                    }

                    rows++;
                }

                history.Add(record);
                if (++read % ProgressInterval == 0)
                {
                    progress?.Report(new TrainingExportProgress(read, totalRecords, rows));
                }

                if (block.IsFull)
                {
                    RowBlock full = block;
                    formatting.Enqueue(Task.Run(full.Format, cancellationToken));
                    block = spare.Count > 0 ? spare.Pop() : NewBlock();
                    if (formatting.Count >= maxFormatting)
                    {
                        await WriteBlockAsync(stream, formatting.Dequeue(), spare, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            if (block.Rows > 0)
            {
                formatting.Enqueue(Task.FromResult(block.Format()));
            }

            while (formatting.Count > 0)
            {
                await WriteBlockAsync(stream, formatting.Dequeue(), spare, cancellationToken).ConfigureAwait(false);
            }

            progress?.Report(new TrainingExportProgress(read, totalRecords, rows));
            return rows;
        }
        finally
        {
            // After a failure, blocks may still be formatting: let them finish before their arrays go back to the
            // pool. The failure that got here is what the caller sees.
            await ((Task)Task.WhenAll(formatting)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            created.ForEach(static b => b.Dispose());
        }
    }

    private static async Task WriteBlockAsync(FileStream stream, Task<RowBlock> formatting, Stack<RowBlock> spare, CancellationToken cancellationToken)
    {
        RowBlock block = await formatting.ConfigureAwait(false);
        await stream.WriteAsync(block.Text, cancellationToken).ConfigureAwait(false);
        block.Clear();
        spare.Push(block);
    }

    /// <summary>Up to <see cref="Capacity"/> rows of values, then their CSV text. Its arrays are pooled: dispose it.</summary>
    private sealed class RowBlock(int width, bool numeric) : IDisposable
    {
        private const int Capacity = 256;

        private readonly double[]? _numbers = numeric ? ArrayPool<double>.Shared.Rent(width * Capacity) : null;
        private readonly FeatureValue[]? _values = numeric ? null : ArrayPool<FeatureValue>.Shared.Rent(width * Capacity);
        private readonly CsvRowWriter _csv = new();

        public int Rows { get; private set; }

        public bool IsFull => Rows == Capacity;

        public ReadOnlyMemory<byte> Text => _csv.Written;

        public Span<double> AddNumericRow() => _numbers.AsSpan(width * Rows++, width);

        public Span<FeatureValue> AddTextRow() => _values.AsSpan(width * Rows++, width);

        public RowBlock Format()
        {
            CsvRowWriter csv = _csv;
            for (int row = 0; row < Rows; row++)
            {
                for (int i = 0; i < width; i++)
                {
                    if (_numbers is not null)
                    {
                        csv.Field(_numbers[(row * width) + i]);
                    }
                    else
                    {
                        csv.Field(_values![(row * width) + i]);
                    }
                }

                csv.EndRow();
            }

            return this;
        }

        public void Clear()
        {
            // Text values hold strings of records already written: let them go.
            _values?.AsSpan(0, width * Rows).Clear();
            _csv.Clear();
            Rows = 0;
        }

        public void Dispose()
        {
            Clear();
            _csv.Dispose();
            if (_numbers is not null)
            {
                ArrayPool<double>.Shared.Return(_numbers);
            }

            if (_values is not null)
            {
                ArrayPool<FeatureValue>.Shared.Return(_values);
            }
        }
    }

    /// <summary>Welford's streaming mean and variance.</summary>
    private struct RunningStats
    {
        private long _count;
        private double _mean;
        private double _m2;

        public void Add(double value)
        {
            _count++;
            double delta = value - _mean;
            _mean += delta / _count;
            _m2 += delta * (value - _mean);
        }

        public readonly ColumnScaling ToScaling() => new(_mean, _count == 0 ? 0 : Math.Sqrt(_m2 / _count));
    }
}
