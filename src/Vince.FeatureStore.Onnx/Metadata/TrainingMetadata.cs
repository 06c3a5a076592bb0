using System.Globalization;
using System.Text.Json;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Onnx.Metadata;

namespace Vince.FeatureStore.Onnx;

/// <summary>
/// <c>training_metadata.json</c> as written by the training pipeline (FORMATS.md §7), read tolerantly: every
/// listed key is a property (<see langword="null"/> when missing or of an unexpected type, with a note in
/// <see cref="Warnings"/>), unknown keys are kept in <see cref="AdditionalProperties"/>, and the bare
/// <c>NaN</c>/<c>Infinity</c> tokens Python writes read as <see langword="null"/>.
/// </summary>
public sealed class TrainingMetadata
{
    /// <summary>The file name in the models directory.</summary>
    public const string FileName = "training_metadata.json";

    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "trained_at", "data_file", "total_records", "trades_with_outcomes", "models_trained", "models_fit", "onnx_hashes",
        "signal_quality_input_dim", "signal_quality_feature_names", "improvement_report", "signal_quality_scaling", "scaling",
    };

    /// <summary><c>trained_at</c> as written (local time of the training machine, no zone).</summary>
    public string? TrainedAt { get; init; }

    /// <summary><see cref="TrainedAt"/> parsed (<see cref="DateTimeKind.Unspecified"/>), or <see langword="null"/>.</summary>
    public DateTime? TrainedAtLocal => DateTime.TryParse(TrainedAt, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out DateTime value) ? value : null;

    /// <summary><c>data_file</c>: the data the models were trained on.</summary>
    public string? DataFile { get; init; }

    /// <summary><c>total_records</c>.</summary>
    public int? TotalRecords { get; init; }

    /// <summary><c>trades_with_outcomes</c>: complete trades available to training.</summary>
    public int? TradesWithOutcomes { get; init; }

    /// <summary><c>models_trained</c>: models exported to ONNX (empty in the minimal file written with too few trades).</summary>
    public IReadOnlyList<string>? ModelsTrained { get; init; }

    /// <summary><c>models_fit</c>: models fitted (exported or not).</summary>
    public IReadOnlyList<string>? ModelsFit { get; init; }

    /// <summary><c>onnx_hashes</c>: SHA-256 (hex) of each exported model file, by model name.</summary>
    public IReadOnlyDictionary<string, string>? OnnxHashes { get; init; }

    /// <summary><c>signal_quality_input_dim</c>: the width of the signal-quality model input.</summary>
    public int? SignalQualityInputDim { get; init; }

    /// <summary><c>signal_quality_feature_names</c>: the signal-quality model's input columns, in order.</summary>
    public IReadOnlyList<string>? SignalQualityFeatureNames { get; init; }

    /// <summary><c>improvement_report</c>.</summary>
    public ImprovementReport? ImprovementReport { get; init; }

    /// <summary>
    /// Per-column standardisation of the signal-quality input (the <c>{column: {mean, std}}</c> shape of the
    /// library's <see cref="FeatureManifest.Scaling"/>), from <c>signal_quality_scaling</c>, or from <c>scaling</c>
    /// (either that shape or <c>{signal_quality: {column: {mean, std}}}</c>). <see langword="null"/> when the
    /// metadata carries none: the newest Python script trains on raw values.
    /// </summary>
    public IReadOnlyDictionary<string, ColumnScaling>? SignalQualityScaling { get; init; }

    /// <summary>Top-level keys this type does not know, unchanged.</summary>
    public IReadOnlyDictionary<string, JsonElement> AdditionalProperties { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>Keys that were present but could not be read (wrong type, bad shape); those properties are <see langword="null"/>.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The SHA-256 the metadata lists for <paramref name="model"/> (e.g. <c>signal_quality</c>), lower-case hex without prefix.</summary>
    /// <param name="model">The pipeline's model name.</param>
    /// <returns>The hash, or <see langword="null"/>.</returns>
    public string? HashOf(string model)
    {
        if (OnnxHashes is null || !OnnxHashes.TryGetValue(model, out string? hash) || string.IsNullOrWhiteSpace(hash))
        {
            return null;
        }

        hash = hash.Trim();
        if (hash.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
        {
            hash = hash["sha256:".Length..];
        }

        return hash.ToLowerInvariant();
    }

    /// <summary>Reads <c>training_metadata.json</c>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="JsonException">The file is not JSON or its top level is not an object.</exception>
    public static TrainingMetadata Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllBytes(path));
    }

    /// <summary>Reads the content of <c>training_metadata.json</c>.</summary>
    /// <param name="utf8Json">The content.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="JsonException">The content is not JSON or its top level is not an object.</exception>
    public static TrainingMetadata Parse(ReadOnlyMemory<byte> utf8Json)
    {
        using JsonDocument document = PythonJson.Parse(utf8Json);
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"The training metadata must be a JSON object (found {root.ValueKind}).");
        }

        var top = new JsonSection(root, "", new List<string>());
        return new TrainingMetadata
        {
            TrainedAt = top.String("trained_at"),
            DataFile = top.String("data_file"),
            TotalRecords = top.Integer("total_records"),
            TradesWithOutcomes = top.Integer("trades_with_outcomes"),
            ModelsTrained = top.StringList("models_trained"),
            ModelsFit = top.StringList("models_fit"),
            OnnxHashes = ReadHashes(top),
            SignalQualityInputDim = top.Integer("signal_quality_input_dim"),
            SignalQualityFeatureNames = top.StringList("signal_quality_feature_names"),
            ImprovementReport = top.Object("improvement_report") is { } report ? ImprovementReport.Read(report) : null,
            SignalQualityScaling = ReadScaling(top),
            AdditionalProperties = top.Unknown(KnownKeys),
            Warnings = top.Warnings,
        };
    }

    private static Dictionary<string, string>? ReadHashes(JsonSection top)
    {
        if (top.Object("onnx_hashes") is not { } hashes)
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty property in hashes.Element.EnumerateObject())
        {
            if (hashes.String(property.Name) is { } hash)
            {
                result[property.Name] = hash;
            }
        }

        return result;
    }

    private static Dictionary<string, ColumnScaling>? ReadScaling(JsonSection top)
    {
        if (top.Object("signal_quality_scaling") is { } direct)
        {
            return ReadColumns(direct);
        }

        if (top.Object("scaling") is not { } scaling)
        {
            return null;
        }

        if (scaling.Element.TryGetProperty("signal_quality", out JsonElement perModel) && perModel.ValueKind == JsonValueKind.Object
            && !perModel.TryGetProperty("mean", out _))
        {
            return ReadColumns(scaling.Object("signal_quality")!.Value);
        }

        return ReadColumns(scaling);
    }

    private static Dictionary<string, ColumnScaling>? ReadColumns(JsonSection columns)
    {
        var result = new Dictionary<string, ColumnScaling>(StringComparer.Ordinal);
        foreach ((string name, JsonSection? column) in columns.Objects())
        {
            if (column is not { } c)
            {
                columns.Warnings.Add($"'{columns.Path}' is not a map of {{mean, std}}; the scaling is ignored.");
                return null;
            }

            if (c.Number("mean") is not { } mean || c.Number("std") is not { } std || !double.IsFinite(mean) || !double.IsFinite(std) || std < 0)
            {
                columns.Warnings.Add($"'{c.Path}' has no finite mean and non-negative std; the scaling is ignored.");
                return null;
            }

            result[name] = new ColumnScaling(mean, std);
        }

        return result;
    }
}

/// <summary>
/// The <c>improvement_report</c> section of <c>training_metadata.json</c>. Sections whose shape the pipeline
/// does not fix are kept as raw JSON.
/// </summary>
public sealed class ImprovementReport
{
    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal)
    {
        "feature_importances", "tp_level_performance", "decision_drivers_by_direction", "suggested_signal_factors",
        "action_items", "holdout_metrics", "suggested_tuning", "wtt_performance", "suggested_signal_quality_threshold",
        "signal_quality_calibration",
    };

    /// <summary><c>feature_importances</c>: importance of each feature, by model then feature.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>>? FeatureImportances { get; init; }

    /// <summary><c>tp_level_performance</c>: win rate and trade count per take-profit level (<c>"1"</c>, <c>"2"</c> …).</summary>
    public IReadOnlyDictionary<string, TpLevelPerformance>? TpLevelPerformance { get; init; }

    /// <summary><c>decision_drivers_by_direction</c>, as written.</summary>
    public JsonElement? DecisionDriversByDirection { get; init; }

    /// <summary><c>suggested_signal_factors</c>, as written (a list of <c>{name, description, reason}</c>).</summary>
    public JsonElement? SuggestedSignalFactors { get; init; }

    /// <summary><c>action_items</c>.</summary>
    public IReadOnlyList<string>? ActionItems { get; init; }

    /// <summary><c>holdout_metrics</c>, as written (AUC, MAE, quantile loss per model).</summary>
    public JsonElement? HoldoutMetrics { get; init; }

    /// <summary><c>suggested_tuning</c>.</summary>
    public SuggestedTuning? SuggestedTuning { get; init; }

    /// <summary><c>wtt_performance</c>, as written.</summary>
    public JsonElement? WttPerformance { get; init; }

    /// <summary><c>suggested_signal_quality_threshold</c> (ignored unless between 0 and 1).</summary>
    public double? SuggestedSignalQualityThreshold { get; init; }

    /// <summary><c>signal_quality_calibration</c>: Platt scaling of the model's probability.</summary>
    public PlattCalibration? SignalQualityCalibration { get; init; }

    /// <summary>Keys this type does not know, unchanged.</summary>
    public IReadOnlyDictionary<string, JsonElement> AdditionalProperties { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>
    /// Every key of <c>feature_importances.signal_quality</c> in file order (values of any type): the script writes them in
    /// the model's input order, the only record of that order in metadata without <c>signal_quality_feature_names</c>.
    /// </summary>
    internal IReadOnlyList<string>? SignalQualityImportanceNames { get; init; }

    internal static ImprovementReport Read(JsonSection report)
    {
        double? threshold = report.Number("suggested_signal_quality_threshold");
        if (threshold is { } t && !(t >= 0 && t <= 1))
        {
            report.Warnings.Add($"'{report.Name("suggested_signal_quality_threshold")}' ({t.ToString(CultureInfo.InvariantCulture)}) is not between 0 and 1; ignored.");
            threshold = null;
        }

        return new ImprovementReport
        {
            FeatureImportances = ReadImportances(report),
            TpLevelPerformance = ReadTpLevels(report),
            DecisionDriversByDirection = report.Raw("decision_drivers_by_direction"),
            SuggestedSignalFactors = report.Raw("suggested_signal_factors"),
            ActionItems = report.StringList("action_items"),
            HoldoutMetrics = report.Raw("holdout_metrics"),
            SuggestedTuning = report.Object("suggested_tuning") is { } tuning ? SuggestedTuning.Read(tuning) : null,
            WttPerformance = report.Raw("wtt_performance"),
            SuggestedSignalQualityThreshold = threshold,
            SignalQualityCalibration = report.Object("signal_quality_calibration") is { } calibration ? PlattCalibration.Read(calibration) : null,
            AdditionalProperties = report.Unknown(KnownKeys),
            SignalQualityImportanceNames = ImportanceNames(report, "signal_quality"),
        };
    }

    private static List<string>? ImportanceNames(JsonSection report, string model)
    {
        if (!report.Element.TryGetProperty("feature_importances", out JsonElement byModel) || byModel.ValueKind != JsonValueKind.Object
            || !byModel.TryGetProperty(model, out JsonElement features) || features.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (features.TryGetProperty("feature_importances", out JsonElement nested) && nested.ValueKind == JsonValueKind.Object)
        {
            features = nested;
        }

        return features.EnumerateObject().Select(p => p.Name).ToList();
    }

    private static Dictionary<string, IReadOnlyDictionary<string, double>>? ReadImportances(JsonSection report)
    {
        if (report.Object("feature_importances") is not { } byModel)
        {
            return null;
        }

        var result = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        foreach ((string model, JsonSection? section) in byModel.Objects())
        {
            if (section is not { } features)
            {
                continue;
            }

            // Both {model: {feature: value}} and {model: {feature_importances: {feature: value}}} occur.
            if (features.Element.TryGetProperty("feature_importances", out JsonElement nested) && nested.ValueKind == JsonValueKind.Object)
            {
                features = features.Object("feature_importances")!.Value;
            }

            var importances = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (JsonProperty feature in features.Element.EnumerateObject())
            {
                if (features.Number(feature.Name) is { } value)
                {
                    importances[feature.Name] = value;
                }
            }

            result[model] = importances;
        }

        return result;
    }

    private static Dictionary<string, TpLevelPerformance>? ReadTpLevels(JsonSection report)
    {
        if (report.Object("tp_level_performance") is not { } levels)
        {
            return null;
        }

        var result = new Dictionary<string, TpLevelPerformance>(StringComparer.Ordinal);
        foreach ((string level, JsonSection? section) in levels.Objects())
        {
            if (section is { } stats)
            {
                result[level] = new TpLevelPerformance(stats.Number("win_rate"), stats.Integer("count"));
            }
        }

        return result;
    }
}

/// <summary>Win rate and number of trades of one take-profit level.</summary>
/// <param name="WinRate">Fraction of trades (0–1) that reached the level, or <see langword="null"/>.</param>
/// <param name="Count">Trades the rate is computed over, or <see langword="null"/>.</param>
public sealed record TpLevelPerformance(double? WinRate, int? Count);

/// <summary>The <c>suggested_tuning</c> of the improvement report (from profitable-trade percentiles).</summary>
public sealed class SuggestedTuning
{
    private static readonly HashSet<string> KnownKeys = new(StringComparer.Ordinal) { "min_strength", "min_confidence" };

    /// <summary><c>min_strength</c>: reject signals weaker than this (0–100).</summary>
    public double? MinStrength { get; init; }

    /// <summary><c>min_confidence</c>: reject signals less confident than this (0–100).</summary>
    public double? MinConfidence { get; init; }

    /// <summary>Other suggestions, unchanged.</summary>
    public IReadOnlyDictionary<string, JsonElement> AdditionalProperties { get; init; } = new Dictionary<string, JsonElement>();

    internal static SuggestedTuning Read(JsonSection tuning) => new()
    {
        MinStrength = tuning.Number("min_strength"),
        MinConfidence = tuning.Number("min_confidence"),
        AdditionalProperties = tuning.Unknown(KnownKeys),
    };
}
