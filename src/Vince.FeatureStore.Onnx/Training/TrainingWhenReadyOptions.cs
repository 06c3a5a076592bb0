using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// Settings of the train-when-ready service (<c>.AddTrainingWhenReady(...)</c>, the bot's <c>TRAIN_ONNX_WHEN_READY</c>
/// task). Validated when the host starts.
/// </summary>
/// <remarks>
/// The trainer is the <see cref="ExternalProcessTrainer"/> with <see cref="ExternalProcess"/> unless
/// <see cref="UseTrainer(Func{IServiceProvider, IModelTrainer})"/> chose another; trainer packages add their own extension method on this class
/// (e.g. <c>options.UseDotnetTrainer()</c>) that calls <see cref="UseTrainer(Func{IServiceProvider, IModelTrainer})"/>.
/// </remarks>
public sealed class TrainingWhenReadyOptions
{
    /// <summary>The fewest complete trades (records with outcome and labels) before a training runs. Default 90.</summary>
    public int MinSamples { get; set; } = 90;

    /// <summary>How often the count of complete trades is checked. Default 1 hour; the first check runs at start-up.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The least time between two trainings (the newest of the local <c>last_train_at.txt</c> and the newest run in the
    /// registered <see cref="IModelBucket"/>, so it holds across restarts and redeploys). Default 24 hours. The early
    /// retrain (<see cref="EarlyRetrainWinRate"/>) may train sooner.
    /// </summary>
    public TimeSpan MinTimeBetweenTrainings { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Train inside <see cref="MinTimeBetweenTrainings"/> when the win rate of the last <see cref="EarlyRetrainRecentTrades"/>
    /// complete trades is below this (as the original bot: 0.45). 0 turns the early retrain off.
    /// </summary>
    public double EarlyRetrainWinRate { get; set; } = 0.45;

    /// <summary>How many of the newest complete trades the early retrain's win rate is taken over. Default 50.</summary>
    public int EarlyRetrainRecentTrades { get; set; } = 50;

    /// <summary>The fewest recent complete trades for the early retrain to judge the win rate at all. Default 20.</summary>
    public int EarlyRetrainMinTrades { get; set; } = 20;

    /// <summary>Only trades decided within this time before now count for the early retrain. Default 30 days.</summary>
    public TimeSpan EarlyRetrainWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The quality gate a new set must pass before it is installed and published (on, tolerance 0.01).</summary>
    public ModelQualityGateOptions QualityGate { get; } = new();

    /// <summary>
    /// Where complete trades are counted and training records are read: <see cref="FeatureSourceKind.Auto"/> (default) takes the
    /// most shared store configured — Supabase (<c>.AddSupabase(...)</c>), else Postgres (<c>.AddPostgres(...)</c>), else the
    /// local JSONL log — so a fresh deploy trains on the corpus every instance wrote. A named kind that is not configured fails
    /// the start. Each training reads a snapshot of it (docs/formats.md, "Training snapshot").
    /// </summary>
    public FeatureSourceKind Source { get; set; } = FeatureSourceKind.Auto;

    /// <summary>The JSONL feature log of the <see cref="FeatureSourceKind.Jsonl"/> source; when unset, the feature store's data directory.</summary>
    public string? FeaturesDirectory { get; set; }

    /// <summary>
    /// The models directory the set is installed into; when unset, the scorer's (<see cref="OnnxScoringOptions.ResolveModelsDirectory()"/>:
    /// <c>VINCE_ML_MODELS_DIR</c>, else <c>.elizadb/vince-paper-bot/models</c>).
    /// </summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>Upload the new set to the registered <see cref="IModelBucket"/> (e.g. Supabase Storage) after a training. Default on.</summary>
    public bool UploadToBucket { get; set; } = true;

    /// <summary>Reload the registered <see cref="OnnxSignalQualityScorer"/> after a training. Default on.</summary>
    public bool ReloadScorer { get; set; } = true;

    /// <summary>
    /// Use feature drift as the retrain trigger: once a set is installed (<c>last_train_at.txt</c> exists), a training that
    /// the time rule allows runs only when the live records drifted from the set's <c>feature_bins.json</c> (a column's PSI
    /// above <see cref="DriftThreshold"/>, a lag column stuck at 0 or a column missing). <see cref="MinSamples"/> and
    /// <see cref="MinTimeBetweenTrainings"/> apply as before. A set without bins trains on the time rule. Default off.
    /// </summary>
    public bool RetrainOnDrift { get; set; }

    /// <summary>The PSI above which a column counts as drifted for <see cref="RetrainOnDrift"/>. Default 0.2.</summary>
    public double DriftThreshold { get; set; } = Drift.FeatureDriftSettings.DefaultThreshold;

    /// <summary>How many of the newest records <see cref="RetrainOnDrift"/> compares with training. Default 500.</summary>
    public int DriftRecentRecords { get; set; } = Drift.FeatureDriftSettings.DefaultRecentRecords;

    /// <summary>Settings of the default trainer, the external process (the Python script).</summary>
    public ExternalProcessTrainerOptions ExternalProcess { get; } = new();

    /// <summary>Creates the trainer from the host's services; <see langword="null"/> for the external process trainer.</summary>
    public Func<IServiceProvider, IModelTrainer>? TrainerFactory { get; private set; }

    /// <summary>Trains with the trainer <paramref name="factory"/> creates (called once, when the service starts).</summary>
    /// <param name="factory">Creates the trainer from the host's services.</param>
    /// <returns>These options.</returns>
    public TrainingWhenReadyOptions UseTrainer(Func<IServiceProvider, IModelTrainer> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        TrainerFactory = factory;
        return this;
    }

    /// <summary>Trains with the given trainer instance.</summary>
    /// <param name="trainer">The trainer.</param>
    /// <returns>These options.</returns>
    public TrainingWhenReadyOptions UseTrainer(IModelTrainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        TrainerFactory = _ => trainer;
        return this;
    }

    /// <summary>Trains with the external process (the default), adjusting its settings.</summary>
    /// <param name="configure">Adjusts <see cref="ExternalProcess"/> (may be <see langword="null"/>).</param>
    /// <returns>These options.</returns>
    public TrainingWhenReadyOptions UseExternalProcessTrainer(Action<ExternalProcessTrainerOptions>? configure = null)
    {
        TrainerFactory = null;
        configure?.Invoke(ExternalProcess);
        return this;
    }

    /// <summary>Returns every problem with the settings (including the external trainer's when it is used), or an empty list.</summary>
    /// <returns>Human-readable messages naming the option.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinSamples < 1)
        {
            errors.Add($"{nameof(MinSamples)} must be at least 1 (was {MinSamples}).");
        }

        if (!Enum.IsDefined(Source))
        {
            errors.Add($"{nameof(Source)} must be Auto, Jsonl, Postgres or Supabase (was {(int)Source}).");
        }

        if (CheckInterval < TimeSpan.FromSeconds(1) || CheckInterval > TimeSpan.FromDays(7))
        {
            errors.Add($"{nameof(CheckInterval)} must be between 1 second and 7 days (was {CheckInterval}).");
        }

        if (MinTimeBetweenTrainings < TimeSpan.Zero || MinTimeBetweenTrainings > TimeSpan.FromDays(365))
        {
            errors.Add($"{nameof(MinTimeBetweenTrainings)} must be between 0 and 365 days (was {MinTimeBetweenTrainings}).");
        }

        if (!(EarlyRetrainWinRate >= 0 && EarlyRetrainWinRate <= 1))
        {
            errors.Add($"{nameof(EarlyRetrainWinRate)} must be between 0 (off) and 1 (was {EarlyRetrainWinRate}).");
        }

        if (EarlyRetrainRecentTrades is < 1 or > 100_000)
        {
            errors.Add($"{nameof(EarlyRetrainRecentTrades)} must be between 1 and 100000 (was {EarlyRetrainRecentTrades}).");
        }

        if (EarlyRetrainMinTrades < 1 || EarlyRetrainMinTrades > EarlyRetrainRecentTrades)
        {
            errors.Add($"{nameof(EarlyRetrainMinTrades)} must be between 1 and {nameof(EarlyRetrainRecentTrades)} ({EarlyRetrainRecentTrades}) (was {EarlyRetrainMinTrades}).");
        }

        if (EarlyRetrainWindow < TimeSpan.FromHours(1) || EarlyRetrainWindow > TimeSpan.FromDays(365))
        {
            errors.Add($"{nameof(EarlyRetrainWindow)} must be between 1 hour and 365 days (was {EarlyRetrainWindow}).");
        }

        errors.AddRange(QualityGate.Validate().Select(e => $"{nameof(QualityGate)}.{e}"));
        foreach ((string name, string? directory) in new[] { (nameof(FeaturesDirectory), FeaturesDirectory), (nameof(ModelsDirectory), ModelsDirectory) })
        {
            if (directory is not null && (directory.Length == 0 || directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
            {
                errors.Add($"{name} '{directory}' is not a valid path.");
            }
        }

        if (!(DriftThreshold > 0) || double.IsInfinity(DriftThreshold))
        {
            errors.Add($"{nameof(DriftThreshold)} must be a positive number (was {DriftThreshold}).");
        }

        if (DriftRecentRecords < Drift.FeatureDriftReport.MinimumRecentRecords)
        {
            errors.Add($"{nameof(DriftRecentRecords)} must be at least {Drift.FeatureDriftReport.MinimumRecentRecords} (was {DriftRecentRecords}).");
        }

        if (TrainerFactory is null)
        {
            errors.AddRange(ExternalProcess.Validate().Select(e => $"{nameof(ExternalProcess)}.{e}"));
        }

        return errors;
    }
}
