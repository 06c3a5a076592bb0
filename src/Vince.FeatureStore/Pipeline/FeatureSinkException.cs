namespace Vince.FeatureStore;

/// <summary>
/// A sink failure that says how the pipeline should treat it (<see cref="Kind"/>) and what an operator should do
/// (<see cref="Advice"/>). Throw it from <see cref="IFeatureSink.InitializeAsync"/> or <see cref="IFeatureSink.WriteAsync"/>
/// when you know the failure is permanent or caused by one record; any other exception is treated as
/// <see cref="FeatureSinkFailureKind.Transient"/>.
/// </summary>
/// <remarks>
/// <para>The message is logged and shown by the sink's health check, so it must never hold a secret. Keep it to one
/// sentence about what failed; put what to do in <see cref="Advice"/>.</para>
/// <para>Derive from it to add fields of your protocol (the Supabase sink's <c>SupabaseRequestException</c> does).</para>
/// </remarks>
public class FeatureSinkException : Exception
{
    /// <summary>Creates a transient failure without a message.</summary>
    public FeatureSinkException()
    {
    }

    /// <summary>Creates a transient failure.</summary>
    /// <param name="message">What failed.</param>
    public FeatureSinkException(string message)
        : base(message)
    {
    }

    /// <summary>Creates a transient failure with its cause.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public FeatureSinkException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates a failure of the given kind.</summary>
    /// <param name="kind">How the pipeline treats it.</param>
    /// <param name="message">What failed (no secrets).</param>
    /// <param name="advice">What to do about it, or <see langword="null"/>.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined value.</exception>
    public FeatureSinkException(FeatureSinkFailureKind kind, string message, string? advice = null, Exception? innerException = null)
        : base(message, innerException)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a FeatureSinkFailureKind.");
        }

        Kind = kind;
        Advice = string.IsNullOrWhiteSpace(advice) ? null : advice;
    }

    /// <summary>How the pipeline treats the failure.</summary>
    public FeatureSinkFailureKind Kind { get; }

    /// <summary>What an operator should do (e.g. what the table needs), or <see langword="null"/>.</summary>
    public string? Advice { get; }

    /// <summary>
    /// The kind of any exception as the pipeline sees it: the <see cref="Kind"/> of the first
    /// <see cref="FeatureSinkException"/> in <paramref name="exception"/> or its inner exceptions, else
    /// <see cref="FeatureSinkFailureKind.Transient"/>.
    /// </summary>
    /// <param name="exception">A failure of a sink call.</param>
    /// <returns>The kind.</returns>
    public static FeatureSinkFailureKind KindOf(Exception exception)
        => Find(exception) is { } found ? found.Kind : FeatureSinkFailureKind.Transient;

    /// <summary>The first <see cref="FeatureSinkException"/> in <paramref name="exception"/> or its inner exceptions.</summary>
    internal static FeatureSinkException? Find(Exception? exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is FeatureSinkException sink)
            {
                return sink;
            }

            if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
            {
                return Find(aggregate.InnerExceptions[0]);
            }
        }

        return null;
    }

    /// <summary>The failure in one line, for logs and health: the message and, when known, the advice.</summary>
    internal static string Describe(Exception exception)
    {
        FeatureSinkException? sink = Find(exception);
        if (sink is null)
        {
            return $"{exception.GetType().Name}: {exception.Message}";
        }

        string message = sink.Message;
        return sink.Advice is null || message.Contains(sink.Advice, StringComparison.Ordinal) ? message : $"{message} {sink.Advice}";
    }
}
