using System.Net;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// A Supabase (PostgREST) request failed: a permanent error (401, 403, 404, 501, …), a refused record (a PostgreSQL
/// constraint or value error, a single row too large) or a transient failure that persisted through every attempt.
/// Carries PostgREST's error fields and its <see cref="FeatureSinkException.Kind"/>; the message says what to do. Never
/// contains the key.
/// </summary>
public sealed class SupabaseRequestException : FeatureSinkException
{
    /// <summary>Creates an exception with a message only.</summary>
    public SupabaseRequestException()
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    /// <param name="message">The message.</param>
    public SupabaseRequestException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SupabaseRequestException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal SupabaseRequestException(string message, HttpStatusCode? statusCode, FeatureSinkFailureKind kind, PostgrestError? error, Exception? innerException = null)
        : base(kind, message, advice: null, innerException)
    {
        StatusCode = statusCode;
        Code = error?.Code;
        ErrorMessage = error?.Message;
        Details = error?.Details;
        Hint = error?.Hint;
    }

    /// <summary>The HTTP status, or <see langword="null"/> when no response arrived (network failure, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Whether the failure is transient (network, timeout, 408, 429, 5xx other than 501) and a later retry may succeed.</summary>
    public bool IsTransient => Kind == FeatureSinkFailureKind.Transient;

    /// <summary>PostgREST's <c>code</c> (e.g. <c>PGRST205</c>, <c>PGRST301</c>, or a PostgreSQL SQLSTATE such as <c>42501</c>).</summary>
    public string? Code { get; }

    /// <summary>PostgREST's <c>message</c>.</summary>
    public string? ErrorMessage { get; }

    /// <summary>PostgREST's <c>details</c>.</summary>
    public string? Details { get; }

    /// <summary>PostgREST's <c>hint</c>.</summary>
    public string? Hint { get; }
}
