namespace Vince.FeatureStore.ModelSets;

/// <summary>
/// Trains the model set (<c>signal_quality.onnx</c> and the other models of FORMATS §6, plus
/// <c>training_metadata.json</c>) from the feature log into an empty output directory. The caller validates the
/// result and installs it; a trainer never writes into the live models directory.
/// </summary>
public interface IModelTrainer
{
    /// <summary>A short name for logs, e.g. <c>python</c> or <c>dotnet</c>.</summary>
    string Name { get; }

    /// <summary>Trains once.</summary>
    /// <param name="request">Where to read the data and where to write the models.</param>
    /// <param name="cancellationToken">Stops the training; the output directory is then left incomplete and must be discarded.</param>
    /// <returns>What the trainer produced and said.</returns>
    /// <exception cref="ModelTrainingException">The training failed; the exception carries the trainer's output.</exception>
    Task<ModelTrainingResult> TrainAsync(ModelTrainingRequest request, CancellationToken cancellationToken = default);
}

/// <summary>The input of one training run.</summary>
public sealed class ModelTrainingRequest
{
    /// <summary>The directory of the JSONL feature log (<c>features_*.jsonl</c>).</summary>
    public required string FeaturesDirectory { get; init; }

    /// <summary>An existing, empty directory the trainer writes the model set into.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The fewest complete trades to train on (default 90, as the Python script). With fewer, the trainer writes metadata with no models.</summary>
    public int MinSamples { get; init; } = 90;
}

/// <summary>What a training run produced.</summary>
public sealed class ModelTrainingResult
{
    /// <summary>The output directory the set was written to (<see cref="ModelTrainingRequest.OutputDirectory"/>).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The trainer's output (log lines, or the tail of a process's stdout/stderr), for diagnostics.</summary>
    public string Output { get; init; } = string.Empty;

    /// <summary>How long the training took.</summary>
    public TimeSpan Duration { get; init; }
}

/// <summary>A training run failed. <see cref="TrainerOutput"/> holds what the trainer said.</summary>
public sealed class ModelTrainingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelTrainingException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public ModelTrainingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public ModelTrainingException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a message and the trainer's output.</summary>
    /// <param name="message">What failed (e.g. the exit code).</param>
    /// <param name="trainerOutput">The trainer's output (tail).</param>
    /// <param name="innerException">The cause, when there is one.</param>
    public ModelTrainingException(string message, string trainerOutput, Exception? innerException = null)
        : base(message, innerException)
    {
        TrainerOutput = trainerOutput;
    }

    /// <summary>The trainer's output (tail of stdout/stderr for a process), or empty.</summary>
    public string TrainerOutput { get; } = string.Empty;

    /// <summary>The exit code of a trainer process that ended with a failure code, or <see langword="null"/>.</summary>
    public int? ExitCode { get; init; }
}
