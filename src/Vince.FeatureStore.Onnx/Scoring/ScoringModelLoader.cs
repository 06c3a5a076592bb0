using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Diagnostics;
using Vince.FeatureStore.Onnx.Metadata;
using Vince.FeatureStore.Onnx.Model;

namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>
/// The one loader of scoring models: turns a consistent snapshot of a model's files into a validated, warmed-up
/// <see cref="ScoringModel"/>. The signal-quality scorer and the model set differ only in where the column list comes
/// from (<see cref="Build(ModelFiles, OnnxScoringOptions, long, DateTimeOffset, ILogger)"/>,
/// <see cref="Build(string, TrainingModel, OnnxScoringOptions)"/>); the hash check, the session, the input and output
/// checks, the scaling, the calibration, the threshold and the output decoding are the same code for both.
/// </summary>
internal static class ScoringModelLoader
{
    /// <summary>
    /// The signal-quality scorer's model: columns from <c>signal_quality_feature_names</c>, else the feature manifest,
    /// else the importances of older metadata; names the flattener does not know are logged and fed 0.
    /// </summary>
    public static ScoringModel Build(ModelFiles files, OnnxScoringOptions options, long version, DateTimeOffset now, ILogger logger)
    {
        TrainingMetadata? metadata = ReadMetadata(files, logger);
        (IReadOnlyList<string> names, string namesSource, bool fromImportances) = FeatureNames(files, metadata, logger);
        if (metadata?.SignalQualityInputDim is { } declaredWidth && declaredWidth != names.Count)
        {
            throw new OnnxModelLoadException(files.MetadataPath,
                $"{files.MetadataPath} is inconsistent: signal_quality_input_dim is {declaredWidth} but {namesSource} lists {names.Count} feature names.");
        }

        return Build(files, metadata, TrainingModel.SignalQuality, new ModelInputs(names, namesSource, null), fromImportances, options, version, now, logger);
    }

    /// <summary>
    /// <paramref name="model"/> of the set in <paramref name="directory"/>: columns from <see cref="ModelInputs"/>; a column
    /// the flattener does not know is refused.
    /// </summary>
    public static ScoringModel Build(string directory, TrainingModel model, OnnxScoringOptions options)
    {
        string name = TrainingModels.Name(model);
        ModelFiles files = ModelFiles.Read(directory, name + ".onnx", TrainingMetadata.FileName)
            ?? throw new OnnxModelLoadException(Path.Combine(directory, name + ".onnx"), $"{Path.Combine(directory, name + ".onnx")} does not exist.");
        ILogger logger = NullLogger.Instance;
        TrainingMetadata? metadata = ReadMetadata(files, logger);
        ModelInputs inputs = ModelInputs.Read(files, model, metadata);
        if (inputs.Columns.Where(c => !FeatureFlattener.IsKnownColumn(c)).ToList() is { Count: > 0 } unknown)
        {
            throw new OnnxModelLoadException(inputs.Source,
                $"{inputs.Source} names {unknown.Count} column(s) of {name} that the flattener does not produce ({string.Join(", ", unknown)}): " +
                "they would be fed 0 on every score. Retrain with this library's flattener, or fix the column list.");
        }

        return Build(files, metadata, model, inputs, fromImportances: false, options, version: 1, DateTimeOffset.UtcNow, logger);
    }

    private static ScoringModel Build(
        ModelFiles files, TrainingMetadata? metadata, TrainingModel model, ModelInputs inputs, bool fromImportances,
        OnnxScoringOptions options, long version, DateTimeOffset now, ILogger logger)
    {
        string modelPath = files.ModelPath;
        string name = TrainingModels.Name(model);
        IReadOnlyList<string> names = inputs.Columns;
        string namesSource = inputs.Source;
        if (options.VerifyModelHash && metadata?.HashOf(name) is { } expectedHash && expectedHash != files.ModelSha256)
        {
            throw new OnnxModelLoadException(modelPath,
                $"{modelPath} (SHA-256 {files.ModelSha256}) does not match onnx_hashes.{name} ({expectedHash}) in {files.MetadataPath}: the files come " +
                $"from different trainings, or a training is still writing them. Set {nameof(OnnxScoringOptions.VerifyModelHash)} = false to load them anyway.")
            {
                FilesIncomplete = true,
            };
        }

        PreparedModel prepared = OnnxModelPreparer.Prepare(files.ModelBytes, modelPath);
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpNumThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        InferenceSession? session = null;
        try
        {
            try
            {
                session = new InferenceSession(prepared.Bytes, sessionOptions);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new OnnxModelLoadException(modelPath, $"ONNX Runtime cannot load {modelPath}: {ex.Message}", ex);
            }

            if (fromImportances)
            {
                // Importance keys are the input order only when there is one per input (the script lists every input).
                int width = InputWidth(session);
                if (width != names.Count)
                {
                    throw UnknownOrder(files, metadata,
                        $" and its improvement_report.feature_importances.signal_quality has {names.Count} keys for a model of {(width > 0 ? width.ToString(CultureInfo.InvariantCulture) : "unknown")} inputs");
                }

                OnnxScoringLog.FeatureNamesFromImportances(logger, files.MetadataPath, names.Count);
            }

            string inputName = CheckInput(session, names.Count, modelPath, namesSource);
            (string outputName, long[] outputShape, int column) = SelectOutput(session, prepared.Hints, inputName, names.Count, modelPath);
            bool quality = model == TrainingModel.SignalQuality;
            (double threshold, ThresholdSource thresholdSource) = options.Threshold is { } configured
                ? (configured, ThresholdSource.Options)
                : metadata?.ImprovementReport?.SuggestedSignalQualityThreshold is { } suggested
                    ? (suggested, ThresholdSource.Metadata)
                    : (OnnxScoringOptions.DefaultThreshold, ThresholdSource.Default);
            OutputDecoding decoding = Decoding(model, inputs, prepared.Hints, outputName, outputShape, column, modelPath,
                quality ? metadata?.ImprovementReport?.SignalQualityCalibration : null, threshold);

            CompiledColumns columns = FeatureFlattener.Compile(names);
            int scaledColumns = 0;
            (double[], double[])? scaling = quality ? Scaling(names, metadata?.SignalQualityScaling, out scaledColumns) : null;
            var info = new OnnxModelInfo
            {
                ModelPath = modelPath,
                ModelSha256 = files.ModelSha256,
                MetadataPath = files.MetadataBytes is null ? null : files.MetadataPath,
                FeatureNamesSource = namesSource,
                Metadata = metadata,
                Version = version,
                LoadedAt = now,
                FeatureNames = names,
                UnknownFeatureNames = columns.UnknownNames,
                InputName = inputName,
                OutputName = outputName,
                OutputColumn = column,
                Repairs = prepared.Repairs,
                Threshold = threshold,
                ThresholdSource = thresholdSource,
                Calibration = decoding.Calibration,
                ScaledColumnCount = scaledColumns,
            };

            var scoringModel = new ScoringModel(model, session, sessionOptions, columns, scaling, inputName, outputShape, decoding, info, files);
            try
            {
                scoringModel.WarmUp();
            }
            catch (OnnxRuntimeException ex)
            {
                scoringModel.Release();
                session = null;
                throw new OnnxModelLoadException(modelPath, $"{modelPath} fails to run with a {names.Count}-feature input: {ex.Message}", ex);
            }

            foreach (string repair in prepared.Repairs)
            {
                OnnxScoringLog.ModelRepaired(logger, modelPath, repair);
            }

            if (columns.UnknownNames.Count > 0)
            {
                OnnxScoringLog.UnknownFeatureNames(logger, columns.UnknownNames.Count, namesSource, string.Join(", ", columns.UnknownNames));
            }

            return scoringModel;
        }
        catch
        {
            session?.Dispose();
            sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>
    /// How the output of <paramref name="model"/> is read, as the trainers write it: P(class 1) for signal quality (with
    /// its calibration and threshold), the label of the most probable class for a take-profit classifier, else one
    /// regression value.
    /// </summary>
    private static OutputDecoding Decoding(
        TrainingModel model, ModelInputs inputs, IReadOnlyDictionary<string, OutputHint> hints, string output, long[] shape, int column, string modelPath,
        PlattCalibration? calibration, double threshold)
    {
        long width = shape.Length == 2 ? shape[1] : 1;
        return model switch
        {
            TrainingModel.SignalQuality => new OutputDecoding(ModelOutputKind.Probability, column, [], calibration, threshold),
            TrainingModel.TpOptimizer when width >= 2 => new OutputDecoding(ModelOutputKind.ClassLabel, column, ClassLabels(inputs, hints, output, (int)width, modelPath), null, null),
            _ when width == 1 => new OutputDecoding(ModelOutputKind.Regression, column, [], null, null),
            _ => throw new OnnxModelLoadException(modelPath, $"The output '{output}' of {modelPath} has {width} columns; {TrainingModels.Name(model)} is read as one regression value."),
        };
    }

    private static double[] ClassLabels(ModelInputs inputs, IReadOnlyDictionary<string, OutputHint> hints, string output, int width, string modelPath)
    {
        // The metadata's class_labels (the .NET trainer), else the classifier's own labels, else the column index.
        if (inputs.ClassLabels is { } fromMetadata)
        {
            return fromMetadata.Count == width
                ? [.. fromMetadata]
                : throw new OnnxModelLoadException(inputs.Source, $"{inputs.Source} lists {fromMetadata.Count} class_labels for {modelPath}, whose output has {width} columns.");
        }

        if (hints.TryGetValue(output, out OutputHint hint) && hint.Labels is { } labels && labels.Count == width
            && labels.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
        {
            return labels.Select(l => double.Parse(l, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        }

        return Enumerable.Range(0, width).Select(i => (double)i).ToArray();
    }

    private static TrainingMetadata? ReadMetadata(ModelFiles files, ILogger logger)
    {
        if (files.MetadataBytes is null)
        {
            return null;
        }

        TrainingMetadata metadata;
        try
        {
            metadata = TrainingMetadata.Parse(files.MetadataBytes);
        }
        catch (JsonException ex)
        {
            throw new OnnxModelLoadException(files.MetadataPath, $"{files.MetadataPath} is not valid JSON: {ex.Message}", ex)
            {
                // A training may be rewriting it right now.
                FilesIncomplete = true,
            };
        }

        foreach (string warning in metadata.Warnings)
        {
            OnnxScoringLog.MetadataProblem(logger, files.MetadataPath, warning);
        }

        return metadata;
    }

    /// <summary>
    /// The input order: <c>signal_quality_feature_names</c>, else <c>signal_quality_features.json</c>, else the keys of the
    /// signal-quality feature importances (older metadata; <c>FromImportances</c>: only once their count is checked
    /// against the model's input width).
    /// </summary>
    private static (IReadOnlyList<string> Names, string Source, bool FromImportances) FeatureNames(ModelFiles files, TrainingMetadata? metadata, ILogger logger)
    {
        if (metadata?.SignalQualityFeatureNames is { Count: > 0 } fromMetadata)
        {
            return (fromMetadata, files.MetadataPath, false);
        }

        if (files.FeaturesBytes is { } features)
        {
            IReadOnlyList<string>? names = null;
            try
            {
                using JsonDocument document = PythonJson.Parse(features);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    names = new JsonSection(document.RootElement, "", []).StringList("features");
                }
            }
            catch (JsonException)
            {
            }

            if (names is not { Count: > 0 })
            {
                throw new OnnxModelLoadException(files.FeaturesPath, $"{files.FeaturesPath} has no 'features' list of names.") { FilesIncomplete = true };
            }

            OnnxScoringLog.FeatureNamesFromManifest(logger, files.MetadataPath, files.FeaturesPath);
            return (names, files.FeaturesPath, false);
        }

        if (metadata?.ImprovementReport?.SignalQualityImportanceNames is { Count: > 0 } importances
            && (metadata.SignalQualityInputDim is not { } declared || declared == importances.Count))
        {
            return (importances, files.MetadataPath + " (improvement_report.feature_importances.signal_quality)", true);
        }

        throw UnknownOrder(files, metadata, "");
    }

    private static OnnxModelLoadException UnknownOrder(ModelFiles files, TrainingMetadata? metadata, string importances)
        => new(files.MetadataPath,
            $"The input order of {files.ModelPath} is unknown: {(metadata is null ? files.MetadataPath + " does not exist" : files.MetadataPath + " lists no signal_quality_feature_names")}" +
            $"{importances} and {files.FeaturesPath} does not exist.")
        {
            FilesIncomplete = true,
        };

    /// <summary>The model's declared number of input features; 0 when it is not fixed.</summary>
    private static int InputWidth(InferenceSession session)
        => session.InputNames.Count == 1 && session.InputMetadata[session.InputNames[0]].Dimensions is { Length: 2 } dims ? Math.Max(dims[1], 0) : 0;

    internal static string CheckInput(InferenceSession session, int featureCount, string modelPath, string namesSource)
    {
        if (session.InputNames.Count != 1)
        {
            throw new OnnxModelLoadException(modelPath, $"{modelPath} has {session.InputNames.Count} inputs ({string.Join(", ", session.InputNames)}); the scorer feeds one float tensor [N, features].");
        }

        string name = session.InputNames[0];
        NodeMetadata input = session.InputMetadata[name];
        if (input.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR || input.ElementDataType != TensorElementType.Float || input.Dimensions.Length != 2)
        {
            throw new OnnxModelLoadException(modelPath,
                $"The input '{name}' of {modelPath} is {Describe(input)}; the scorer feeds a float tensor [N, {featureCount}].");
        }

        int width = input.Dimensions[1];
        if (width > 0 && width != featureCount)
        {
            throw new OnnxModelLoadException(modelPath,
                $"{modelPath} takes {width} input features but {namesSource} lists {featureCount} feature names: the model and its feature list do not belong together.");
        }

        return name;
    }

    internal static (string Name, long[] Shape, int Column) SelectOutput(
        InferenceSession session, IReadOnlyDictionary<string, OutputHint> hints, string inputName, int featureCount, string modelPath)
    {
        var candidates = new List<string>();
        var ignored = new List<string>();
        foreach (string name in session.OutputNames)
        {
            NodeMetadata output = session.OutputMetadata[name];
            if (output.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR && output.ElementDataType == TensorElementType.Float)
            {
                candidates.Add(name);
            }
            else
            {
                ignored.Add(output.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR && output.ElementDataType == TensorElementType.Int64
                    ? $"'{name}' (int64 tensor: a class label, never read as a probability)"
                    : $"'{name}' ({Describe(output)})");
            }
        }

        if (candidates.Count == 0)
        {
            throw new OnnxModelLoadException(modelPath,
                $"{modelPath} has no probability output (a float tensor [N, classes], [N, 1] or [N]); its outputs are {string.Join(", ", ignored)}.");
        }

        // A classifier's probability tensor first, then a name that says so, then declaration order.
        string chosen = candidates
            .OrderByDescending(c => hints.ContainsKey(c))
            .ThenByDescending(c => c.Contains("prob", StringComparison.OrdinalIgnoreCase))
            .First();
        hints.TryGetValue(chosen, out OutputHint hint);

        // Run once (allocating, at load only) to learn the actual output shape for a batch of one.
        long[] shape;
        using (var runOptions = new RunOptions())
        using (OrtValue probe = OrtValue.CreateTensorValueFromMemory(new float[featureCount], [1, featureCount]))
        {
            try
            {
                using IDisposableReadOnlyCollection<OrtValue> results = session.Run(runOptions, [inputName], [probe], [chosen]);
                shape = results[0].GetTensorTypeAndShape().Shape;
            }
            catch (OnnxRuntimeException ex)
            {
                throw new OnnxModelLoadException(modelPath, $"{modelPath} fails to run with a {featureCount}-feature input: {ex.Message}", ex);
            }
        }

        long columns = shape.Length switch
        {
            1 when shape[0] == 1 => 1,
            2 when shape[0] == 1 => shape[1],
            _ => -1,
        };
        int column = columns switch
        {
            1 => 0,
            >= 2 when hint.PositiveColumn >= 0 && hint.PositiveColumn < columns => hint.PositiveColumn,
            2 => 1,
            _ => -1,
        };
        if (column < 0)
        {
            throw new OnnxModelLoadException(modelPath,
                $"The output '{chosen}' of {modelPath} has shape [{string.Join(", ", shape)}] for one record; the scorer reads P(class 1) from [1, 2] " +
                "(or from the class-1 column of a classifier's probabilities), or a probability from [1] or [1, 1].");
        }

        return (chosen, shape, column);
    }

    internal static (double[], double[])? Scaling(IReadOnlyList<string> names, IReadOnlyDictionary<string, ColumnScaling>? scaling, out int scaledColumns)
    {
        scaledColumns = 0;
        if (scaling is not { Count: > 0 })
        {
            return null;
        }

        double[] mean = new double[names.Count];
        double[] inverseStd = new double[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            inverseStd[i] = 1;
            if (scaling.TryGetValue(names[i], out ColumnScaling? column))
            {
                mean[i] = column.Mean;

                // Like scikit-learn's StandardScaler: a constant column (std 0) is only centred.
                inverseStd[i] = column.Std > 0 ? 1 / column.Std : 1;
                scaledColumns++;
            }
        }

        return scaledColumns == 0 ? null : (mean, inverseStd);
    }

    internal static string Describe(NodeMetadata metadata) => metadata.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR
        ? string.Create(CultureInfo.InvariantCulture, $"a {metadata.ElementDataType} tensor [{string.Join(", ", metadata.Dimensions)}]")
        : metadata.OnnxValueType.ToString();
}
