using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Vince.FeatureStore.Onnx.Diagnostics;
using Vince.FeatureStore.Onnx.Metadata;
using Vince.FeatureStore.Onnx.Model;
using Vince.FeatureStore.Onnx.Scoring;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// Checks a trained model set before it is installed: <c>training_metadata.json</c> parses, every model it lists
/// (<c>models_trained</c>, <c>onnx_hashes</c>) and every <c>.onnx</c> in the directory exists, matches its hash, loads in
/// ONNX Runtime (with the repair of the Python script's renamed output) and runs, and its input width matches the
/// metadata: for <c>signal_quality</c> the scorer loads it exactly as it will in production
/// (<c>signal_quality_input_dim</c>, <c>signal_quality_feature_names</c>, probability output); for the other models the
/// <c>n_features</c> of <c>&lt;name&gt;_features.json</c> when that file exists.
/// </summary>
public static class ModelSetValidator
{
    private const string SignalQuality = "signal_quality";

    /// <summary>Validates the set in <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory a trainer wrote.</param>
    /// <param name="logger">Receives the repairs made at load and metadata warnings (optional).</param>
    /// <param name="cancellationToken">Checked between models.</param>
    /// <returns>The validated set; <see cref="ValidatedModelSet.IsEmpty"/> when the metadata lists no model and there is no <c>.onnx</c> (too few trades).</returns>
    /// <exception cref="InvalidModelSetException">Something is wrong; <see cref="InvalidModelSetException.Problems"/> lists every problem, each naming its file.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="directory"/> does not exist.</exception>
    public static ValidatedModelSet Validate(string directory, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string fullDirectory = Path.GetFullPath(directory);
        if (!Directory.Exists(fullDirectory))
        {
            throw new DirectoryNotFoundException($"The model directory {fullDirectory} does not exist.");
        }

        logger ??= NullLogger.Instance;
        string metadataPath = Path.Combine(fullDirectory, TrainingMetadata.FileName);
        if (!File.Exists(metadataPath))
        {
            throw new InvalidModelSetException(fullDirectory, [$"{metadataPath} does not exist: the trainer wrote no training metadata."]);
        }

        TrainingMetadata metadata;
        try
        {
            metadata = TrainingMetadata.Load(metadataPath);
        }
        catch (JsonException ex)
        {
            throw new InvalidModelSetException(fullDirectory, [$"{metadataPath} is not valid training metadata: {ex.Message}"]);
        }

        var problems = new List<string>();
        SortedSet<string> listed = ListedModels(metadata, metadataPath, problems);
        SortedSet<string> present = new(
            Directory.EnumerateFiles(fullDirectory, "*.onnx").Select(Path.GetFileNameWithoutExtension).OfType<string>(),
            StringComparer.Ordinal);
        if (listed.Count == 0 && problems.Count == 0)
        {
            if (present.Count == 0)
            {
                return new ValidatedModelSet(fullDirectory, metadata, []);
            }

            throw new InvalidModelSetException(fullDirectory, [$"{metadataPath} lists no model (models_trained and onnx_hashes are empty) but the directory holds " +
                $"{string.Join(", ", present.Select(p => p + ".onnx"))}: the files do not belong together."]);
        }

        foreach (string name in listed.Where(n => !present.Contains(n)))
        {
            problems.Add($"{metadataPath} lists the model '{name}' but {Path.Combine(fullDirectory, name + ".onnx")} does not exist.");
        }

        var models = new List<ValidatedModel>();
        foreach (string name in present)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ValidatedModel? model = name == SignalQuality
                ? ValidateSignalQuality(fullDirectory, logger, problems)
                : ValidateModel(fullDirectory, name, metadata, logger, problems);
            if (model is not null)
            {
                models.Add(model);
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidModelSetException(fullDirectory, problems);
        }

        return new ValidatedModelSet(fullDirectory, metadata, models);
    }

    private static SortedSet<string> ListedModels(TrainingMetadata metadata, string metadataPath, List<string> problems)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string entry in (metadata.ModelsTrained ?? []).Concat(metadata.OnnxHashes?.Keys ?? Enumerable.Empty<string>()))
        {
            string name = entry.EndsWith(".onnx", StringComparison.Ordinal) ? entry[..^".onnx".Length] : entry;
            if (name.Length == 0 || name.Length > 200 || name.StartsWith('.') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                problems.Add($"{metadataPath} lists the model '{entry}', which is not a plain file name.");
                continue;
            }

            names.Add(name);
        }

        return names;
    }

    /// <summary>Loads the signal-quality model exactly as the scorer will, so a set the scorer would refuse is never installed.</summary>
    private static ValidatedModel? ValidateSignalQuality(string directory, ILogger logger, List<string> problems)
    {
        var options = new OnnxScoringOptions { ModelsDirectory = directory, WatchForChanges = false, VerifyModelHash = true };
        try
        {
            ModelFiles files = ModelFiles.Read(directory, options)
                ?? throw new OnnxModelLoadException(Path.Combine(directory, options.ModelFileName), $"{Path.Combine(directory, options.ModelFileName)} disappeared while being validated.");
            ScoringModel model = ScoringModelLoader.Build(files, options, version: 1, DateTimeOffset.UnixEpoch, logger);
            try
            {
                OnnxModelInfo info = model.Info;
                return new ValidatedModel(SignalQuality, options.ModelFileName, info.FeatureNames.Count, info.FeatureNamesSource, info.ModelSha256, info.Repairs);
            }
            finally
            {
                model.Release();
            }
        }
        catch (OnnxModelLoadException ex)
        {
            problems.Add(ex.Message);
            return null;
        }
    }

    private static ValidatedModel? ValidateModel(string directory, string name, TrainingMetadata metadata, ILogger logger, List<string> problems)
    {
        string path = Path.Combine(directory, name + ".onnx");
        byte[] bytes = File.ReadAllBytes(path);
        string sha256 = Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();
        if (metadata.HashOf(name) is { } expectedHash && expectedHash != sha256)
        {
            problems.Add($"{path} (SHA-256 {sha256}) does not match onnx_hashes.{name} ({expectedHash}) in {TrainingMetadata.FileName}.");
            return null;
        }

        (int? expectedWidth, string widthSource) = DeclaredWidth(directory, name, problems);
        PreparedModel prepared;
        try
        {
            prepared = OnnxModelPreparer.Prepare(bytes, path);
        }
        catch (OnnxModelLoadException ex)
        {
            problems.Add(ex.Message);
            return null;
        }

        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
        };
        InferenceSession session;
        try
        {
            session = new InferenceSession(prepared.Bytes, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            problems.Add($"ONNX Runtime cannot load {path}: {ex.Message}");
            return null;
        }

        using (session)
        {
            if (session.InputNames.Count != 1)
            {
                problems.Add($"{path} has {session.InputNames.Count} inputs ({string.Join(", ", session.InputNames)}); a model of the set takes one float tensor [N, features].");
                return null;
            }

            string inputName = session.InputNames[0];
            NodeMetadata input = session.InputMetadata[inputName];
            if (input.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR || input.ElementDataType != TensorElementType.Float || input.Dimensions.Length != 2)
            {
                problems.Add($"The input '{inputName}' of {path} is not a float tensor [N, features].");
                return null;
            }

            int modelWidth = input.Dimensions[1];
            if (modelWidth > 0 && expectedWidth is { } declared && declared != modelWidth)
            {
                problems.Add($"{path} takes {modelWidth} input features but {widthSource} says {declared}: the model and its feature list do not belong together.");
                return null;
            }

            int? width = modelWidth > 0 ? modelWidth : expectedWidth;
            if (width is { } w)
            {
                try
                {
                    var probe = new DenseTensor<float>(new float[w], [1, w]);
                    using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, probe)]);
                }
                catch (OnnxRuntimeException ex)
                {
                    problems.Add($"{path} fails to run with a {w}-feature input: {ex.Message}");
                    return null;
                }
            }

            foreach (string repair in prepared.Repairs)
            {
                OnnxScoringLog.ModelRepaired(logger, path, repair);
            }

            string checkedAgainst = expectedWidth is not null ? widthSource : modelWidth > 0 ? "the model" : "nothing (no features file, dynamic input)";
            return new ValidatedModel(name, name + ".onnx", width, checkedAgainst, sha256, prepared.Repairs);
        }
    }

    /// <summary>The width <c>&lt;name&gt;_features.json</c> declares (<c>n_features</c>, else the length of <c>features</c>), when the file exists.</summary>
    private static (int? Width, string Source) DeclaredWidth(string directory, string name, List<string> problems)
    {
        string path = Path.Combine(directory, ModelFiles.FeaturesFileName(name + ".onnx"));
        if (!File.Exists(path))
        {
            return (null, "the model");
        }

        try
        {
            using JsonDocument document = PythonJson.Parse(File.ReadAllBytes(path));
            JsonElement root = document.RootElement;
            int? count = null;
            int? declared = null;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("features", out JsonElement features) && features.ValueKind == JsonValueKind.Array)
                {
                    count = features.GetArrayLength();
                }

                if (root.TryGetProperty("n_features", out JsonElement n) && n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out int value))
                {
                    declared = value;
                }
            }

            if (count is null && declared is null)
            {
                problems.Add($"{path} has neither n_features nor a features list.");
                return (null, path);
            }

            if (count is { } c && declared is { } d && c != d)
            {
                problems.Add($"{path} is inconsistent: n_features is {d} but features lists {c} names.");
                return (null, path);
            }

            return (declared ?? count, path);
        }
        catch (JsonException ex)
        {
            problems.Add($"{path} is not valid JSON: {ex.Message}");
            return (null, path);
        }
    }
}

/// <summary>A model set that passed <see cref="ModelSetValidator.Validate"/>.</summary>
public sealed class ValidatedModelSet
{
    internal ValidatedModelSet(string directory, TrainingMetadata metadata, IReadOnlyList<ValidatedModel> models)
    {
        Directory = directory;
        Metadata = metadata;
        Models = models;
    }

    /// <summary>The directory validated (absolute).</summary>
    public string Directory { get; }

    /// <summary>The parsed <c>training_metadata.json</c>.</summary>
    public TrainingMetadata Metadata { get; }

    /// <summary>The models, by name.</summary>
    public IReadOnlyList<ValidatedModel> Models { get; }

    /// <summary>No model: the trainer wrote metadata with empty model lists (fewer complete trades than <c>--min-samples</c>).</summary>
    public bool IsEmpty => Models.Count == 0;
}

/// <summary>One model of a validated set.</summary>
/// <param name="Name">The pipeline's model name, e.g. <c>signal_quality</c>.</param>
/// <param name="FileName">The file, e.g. <c>signal_quality.onnx</c>.</param>
/// <param name="InputWidth">The number of input features, or <see langword="null"/> when neither the model nor a features file fixes it.</param>
/// <param name="WidthSource">Where the width was checked against (the metadata, a features file, or the model itself).</param>
/// <param name="Sha256">The SHA-256 of the file, lower-case hex.</param>
/// <param name="Repairs">The repairs made to load it (e.g. the renamed output of the Python script); empty for a clean file.</param>
public sealed record ValidatedModel(string Name, string FileName, int? InputWidth, string WidthSource, string Sha256, IReadOnlyList<string> Repairs);

/// <summary>A trained model set failed validation; nothing from it may be installed.</summary>
public sealed class InvalidModelSetException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidModelSetException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public InvalidModelSetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidModelSetException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a directory and its problems.</summary>
    /// <param name="directory">The directory validated.</param>
    /// <param name="problems">Every problem found, each naming its file.</param>
    public InvalidModelSetException(string directory, IReadOnlyList<string> problems)
        : base(Describe(directory, problems))
    {
        Directory = directory;
        Problems = problems;
    }

    /// <summary>The directory validated.</summary>
    public string? Directory { get; }

    /// <summary>Every problem found, each naming its file.</summary>
    public IReadOnlyList<string> Problems { get; } = [];

    private static string Describe(string directory, IReadOnlyList<string> problems)
        => problems.Count == 1
            ? $"The model set in {directory} is invalid: {problems[0]}"
            : $"The model set in {directory} is invalid ({problems.Count} problems):{Environment.NewLine}- {string.Join(Environment.NewLine + "- ", problems)}";
}
