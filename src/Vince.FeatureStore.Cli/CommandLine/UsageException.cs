namespace Vince.FeatureStore.Cli.CommandLine;

/// <summary>The command line is wrong (unknown command or option, missing or bad value): exit code 2 with the message.</summary>
internal sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The command whose help the message points to, when known.</summary>
    public string? Command { get; init; }
}

/// <summary>The command ran and failed in an expected way (exit code 1): the message says what and what to do.</summary>
internal sealed class CommandFailedException : Exception
{
    public CommandFailedException()
    {
    }

    public CommandFailedException(string message)
        : base(message)
    {
    }

    public CommandFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
