using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;
using Vince.FeatureStore.Drift;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Training.Data;
using Vince.FeatureStore.Training.Diagnostics;
using Vince.FeatureStore.Training.Metadata;
using Vince.FeatureStore.Training.Models;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training;

/// <summary>
/// Trains the four models of the paper-trading pipeline (FORMATS.md §6) without Python: ML.NET's gradient-boosted
/// trees (FastTree) on the rows of the shared flattener, exported by this package to ONNX tree ensembles in the Python
/// pipeline's layout, with <c>training_metadata.json</c>, <c>&lt;name&gt;_features.json</c> and
/// <c>improvement_report.md</c>.
/// </summary>
/// <remarks>
/// <para>Rows are built with <see cref="CompiledColumns.Fill"/> and a <see cref="FeatureHistory"/> over the records in
/// decision-time order — the code the ONNX scorer runs — so a model is served exactly the values it was trained on.
/// Inputs are raw (no scaling).</para>
/// <para>Per model the newest <see cref="DotnetTrainerOptions.HoldoutFraction"/> of its rows is held out: the exported
/// model is fitted on the older rows, and the holdout gives the metrics, the Platt calibration and the suggested
/// threshold. Every exported file is run with ONNX Runtime and compared with ML.NET before anything is written.</para>
/// <para>The models: signal_quality, binary; position_sizing, regression of the R-multiple clipped to [−2, 3];
/// tp_optimizer, one-versus-all over the observed take-profit levels; sl_optimizer, the 0.95 quantile of the maximum
/// adverse excursion clipped to [0, 5], approximated as a regression of the label plus the 0.95 quantile of its
/// out-of-fold residuals (FastTree has no quantile loss).</para>
/// </remarks>
public sealed class DotnetModelTrainer : IModelTrainer
{
    private readonly DotnetTrainerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TrainingMetrics _metrics;

    /// <summary>The trainer's settings.</summary>
    internal DotnetTrainerOptions Options => _options;

    /// <summary>Creates the trainer.</summary>
    /// <param name="options">Tree and holdout settings; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Receives the run's events.</param>
    /// <param name="timeProvider">The clock for <c>trained_at</c> and durations.</param>
    /// <param name="meterFactory">Creates the meter of the per-model metrics; a shared meter when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public DotnetModelTrainer(DotnetTrainerOptions? options = null, ILogger<DotnetModelTrainer>? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        _options = options ?? new DotnetTrainerOptions();
        IReadOnlyList<string> errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _metrics = TrainingMetrics.For(meterFactory);
    }

    /// <inheritdoc />
    public string Name => "dotnet";

    /// <inheritdoc />
    public async Task<ModelTrainingResult> TrainAsync(ModelTrainingRequest request, CancellationToken cancellationToken = default)
    {
        DotnetTrainingReport report = await TrainWithReportAsync(request, cancellationToken).ConfigureAwait(false);
        return new ModelTrainingResult { OutputDirectory = report.OutputDirectory, Output = report.Log, Duration = report.Duration };
    }

    /// <summary>Trains once and returns the details: per model its columns, holdout metrics and holdout predictions.</summary>
    /// <param name="request">Where to read the data and where to write the models.</param>
    /// <param name="cancellationToken">Stops the training; the output directory is then incomplete and must be discarded.</param>
    /// <returns>What was trained and written.</returns>
    /// <exception cref="ModelTrainingException">There is no data to train on, or a model could not be trained or exported.</exception>
    public async Task<DotnetTrainingReport> TrainWithReportAsync(ModelTrainingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.FeaturesDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.OutputDirectory);
        ArgumentOutOfRangeException.ThrowIfNegative(request.MinSamples);

        long started = _time.GetTimestamp();
        var log = new RunLog(_logger);
        try
        {
            return await Task.Run(() => TrainCoreAsync(request, log, started, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (ModelTrainingException ex)
        {
            TrainingLog.Failed(_logger, ex, request.FeaturesDirectory);
            throw new ModelTrainingException(ex.Message, log.Text, ex.InnerException);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever failed (I/O, ML.NET, ONNX Runtime), the caller gets the contract's exception with the run's log.
            TrainingLog.Failed(_logger, ex, request.FeaturesDirectory);
            throw new ModelTrainingException($"Training from {request.FeaturesDirectory} failed: {ex.Message}", log.Text, ex);
        }
    }

    private async Task<DotnetTrainingReport> TrainCoreAsync(ModelTrainingRequest request, RunLog log, long started, CancellationToken cancellationToken)
    {
        string dataDirectory = Path.GetFullPath(request.FeaturesDirectory);
        string output = Path.GetFullPath(request.OutputDirectory);
        log.Started(dataDirectory, output, request.MinSamples);
        if (!Directory.Exists(dataDirectory))
        {
            throw new ModelTrainingException($"The features directory {dataDirectory} does not exist.");
        }

        var reader = new FeatureLogReader(dataDirectory, new FeatureLogReaderOptions { RealOnly = _options.RealOnly });
        if (reader.GetFiles().Count == 0)
        {
            throw new ModelTrainingException($"There is nothing to train on: {dataDirectory} holds no feature log files ({string.Join(", ", reader.FilePatterns)}).");
        }

        // Pass 1: what the data holds (column presence and assets decide each model's columns, from the log's scan as the
        // export decides them, so a key null in every record is still a column) and the report's statistics.
        FeatureDataProfile profile = await reader.GetProfileAsync(cancellationToken).ConfigureAwait(false);
        long skippedBefore = reader.SkippedLines; // each pass skips the same lines: count one pass
        var statistics = new DataStatistics();
        await foreach (FeatureRecord record in reader.ReadRecordsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            statistics.Observe(record);
        }

        if (statistics.TotalRecords == 0)
        {
            throw new ModelTrainingException($"There is nothing to train on: the feature log files in {dataDirectory} hold no valid record ({reader.SkippedLines - skippedBefore} invalid line(s) skipped).");
        }

        log.DataRead(statistics.TotalRecords, statistics.TradesWithOutcomes);
        Directory.CreateDirectory(output);
        var run = new RunInfo(_time.GetLocalNow().DateTime, request.FeaturesDirectory, statistics.TotalRecords, statistics.TradesWithOutcomes, _options);
        var files = new List<string>();
        if (statistics.TradesWithOutcomes < request.MinSamples)
        {
            log.NotEnoughData(statistics.TradesWithOutcomes, request.MinSamples);
            ImprovementReport minimal = ImprovementReport.Minimal(statistics, request.MinSamples);
            Write(output, MetadataWriter.ReportFile, Encoding.UTF8.GetBytes(MetadataWriter.Markdown(run, minimal)), files);
            Write(output, MetadataWriter.MetadataFile, MetadataWriter.Metadata(run, minimal), files);
            return Report(request, output, statistics, [], new Dictionary<string, string>(), files, log, started);
        }

        // Pass 2: the rows of every model, filled by the scorer's code with the per-asset history of all earlier records.
        var rows = TrainingModels.All.ToDictionary(m => m, m => new ModelRows(m, profile.ModelColumns(m)));
        // Every record (avoided ones too) is a reference record of the drift bins: live records are all decisions.
        var bins = new FeatureBinsBuilder(rows.Values.SelectMany(r => r.Columns));
        var history = new FeatureHistory();
        await foreach (FeatureRecord record in reader.ReadRecordsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            foreach (ModelRows model in rows.Values)
            {
                model.AddIfLabelled(record, history);
            }

            bins.Add(record, history);
            history.Add(record);
        }

        // ML.NET's fits cannot be interrupted from outside; the token is checked before each fit.
        var fitter = new FastTreeFitter(_options, cancellationToken);
        var builder = new ModelBuilder(_options, fitter);
        var built = new List<BuiltModel>();
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (TrainingModel model in TrainingModels.All)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ModelRows modelRows = rows[model];
            if (modelRows.Count < Math.Max(1, request.MinSamples))
            {
                skipped[modelRows.Name] = string.Create(CultureInfo.InvariantCulture, $"{modelRows.Count} rows with a {TrainingModels.LabelColumn(model)} label, {request.MinSamples} needed");
                log.ModelSkipped(modelRows.Name, skipped[modelRows.Name]);
                _metrics.Skipped(modelRows.Name);
                continue;
            }

            long modelStarted = _time.GetTimestamp();
            (BuiltModel? result, string? reason) = builder.Build(modelRows);
            cancellationToken.ThrowIfCancellationRequested();
            if (result is null)
            {
                skipped[modelRows.Name] = reason!;
                log.ModelSkipped(modelRows.Name, reason!);
                _metrics.Skipped(modelRows.Name);
                continue;
            }

            built.Add(result);
            TimeSpan elapsed = _time.GetElapsedTime(modelStarted);
            log.ModelTrained(result.Report, elapsed);
            _metrics.Trained(modelRows.Name, elapsed);
        }

        // Models first, metadata last: a reader that sees the metadata finds the files it lists.
        foreach (BuiltModel model in built)
        {
            Write(output, model.Report.OnnxFile, model.Onnx, files);
            Write(output, model.Rows.Name + "_features.json", MetadataWriter.Features(model), files);
            if (_options.SaveMlNetModels)
            {
                SaveMlNet(fitter.Context, model, output, files);
            }
        }

        if (built.Count > 0)
        {
            Write(output, FeatureBins.FileName, bins.Build().ToJson(), files);
            Write(output, ModelSetReport.FileName, ModelReportBuilder.Build(built).ToJson(), files);
        }

        ImprovementReport report = ImprovementReport.Full(statistics, built, skipped);
        Write(output, MetadataWriter.ReportFile, Encoding.UTF8.GetBytes(MetadataWriter.Markdown(run, report)), files);
        Write(output, MetadataWriter.MetadataFile, MetadataWriter.Metadata(run, report), files);
        return Report(request, output, statistics, built, skipped, files, log, started);
    }

    private DotnetTrainingReport Report(
        ModelTrainingRequest request, string output, DataStatistics statistics, List<BuiltModel> built, Dictionary<string, string> skipped, List<string> files, RunLog log, long started)
    {
        TimeSpan duration = _time.GetElapsedTime(started);
        log.Finished(built.Count == 0 ? "no model" : string.Join(", ", built.Select(m => m.Rows.Name)), output, duration);
        return new DotnetTrainingReport
        {
            OutputDirectory = output,
            TotalRecords = statistics.TotalRecords,
            TradesWithOutcomes = statistics.TradesWithOutcomes,
            MinSamples = request.MinSamples,
            Models = built.Select(m => m.Report).ToList(),
            SkippedModels = skipped,
            Files = files,
            Log = log.Text,
            Duration = duration,
        };
    }

    /// <summary>One ML.NET model file per fitted transformer: <c>&lt;name&gt;.mlnet.zip</c>, or <c>&lt;name&gt;.&lt;class&gt;.mlnet.zip</c> per class.</summary>
    private static void SaveMlNet(MLContext ml, BuiltModel model, string output, List<string> files)
    {
        for (int i = 0; i < model.Fitted.Transformers.Count; i++)
        {
            string name = model.Fitted.Transformers.Count == 1
                ? model.Rows.Name + ".mlnet.zip"
                : string.Create(CultureInfo.InvariantCulture, $"{model.Rows.Name}.{model.Report.ClassLabels[i]}.mlnet.zip");
            using (var stream = new FileStream(Path.Combine(output, name), FileMode.Create, FileAccess.Write))
            {
                ml.Model.Save(model.Fitted.Transformers[i], model.Fitted.InputSchema, stream);
            }

            files.Add(name);
        }
    }

    /// <summary>Writes a file through a temporary name, so a reader never sees it half written.</summary>
    private static void Write(string directory, string name, byte[] content, List<string> files)
    {
        string path = Path.Combine(directory, name);
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
        files.Add(name);
    }

    /// <summary>Logs each event and keeps its text for <see cref="ModelTrainingResult.Output"/>.</summary>
    private sealed class RunLog(ILogger logger)
    {
        private readonly StringBuilder _text = new();

        public string Text => _text.ToString();

        public void Started(string data, string output, int minSamples)
        {
            TrainingLog.Started(logger, data, output, minSamples);
            Add($"Training with ML.NET FastTree from {data} into {output} (min samples {minSamples})");
        }

        public void DataRead(int records, int trades)
        {
            TrainingLog.DataRead(logger, records, trades);
            Add($"Read {records} records, {trades} complete trades");
        }

        public void NotEnoughData(int trades, int minSamples)
        {
            TrainingLog.NotEnoughData(logger, trades, minSamples);
            Add($"Not enough data: {trades} complete trades, {minSamples} needed. Wrote metadata with no models");
        }

        public void ModelSkipped(string model, string reason)
        {
            TrainingLog.ModelSkipped(logger, model, reason);
            Add($"Skipped {model}: {reason}");
        }

        public void ModelTrained(TrainedModelReport report, TimeSpan elapsed)
        {
            string metrics = report.HoldoutMetrics.Count == 0
                ? "no holdout"
                : string.Join(", ", report.HoldoutMetrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key}={m.Value:0.####}")));
            TrainingLog.ModelTrained(logger, report.Name, report.TrainingRows, report.HoldoutRows, report.FeatureNames.Count, metrics, report.MaxOnnxDifference, elapsed.TotalSeconds);
            Add($"Trained {report.Name}: {report.TrainingRows} training rows, {report.HoldoutRows} holdout rows, {report.FeatureNames.Count} features, {metrics}; ONNX vs ML.NET max difference {report.MaxOnnxDifference:G3} ({elapsed.TotalSeconds:F1} s)");
        }

        public void Finished(string models, string output, TimeSpan elapsed)
        {
            TrainingLog.Finished(logger, models, output, elapsed.TotalSeconds);
            Add($"Training finished: {models} exported to {output} in {elapsed.TotalSeconds:F1} s");
        }

        private void Add(FormattableString line) => _text.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
