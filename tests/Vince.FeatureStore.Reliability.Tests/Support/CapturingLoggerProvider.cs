using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Vince.FeatureStore.Reliability.Tests.Support;

/// <summary>One log call as a provider sees it: everything a sink of logs could write out.</summary>
internal sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, string? Exception, string State, string Scopes);

/// <summary>
/// Captures every log call of every category at every level (Trace included), with the exception's full
/// <c>ToString()</c> (inner exceptions and stack), each structured state value and the active scopes.
/// </summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<CapturedLog> Logs { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>All captured text, one entry per line, for searching.</summary>
    public string AllText()
    {
        var text = new StringBuilder();
        foreach (CapturedLog log in Logs)
        {
            text.Append(log.Category).Append(' ').Append(log.Level).Append(' ').Append(log.EventId.Id).Append(' ').Append(log.EventId.Name)
                .Append(": ").Append(log.Message).Append(" | ").Append(log.State).Append(" | ").Append(log.Scopes).Append(" | ").AppendLine(log.Exception);
        }

        return text.ToString();
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new StringBuilder();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach ((string key, object? value) in pairs)
                {
                    values.Append(key).Append('=').Append(value).Append(';');
                }
            }
            else
            {
                values.Append(state);
            }

            var scopes = new StringBuilder();
            provider._scopes.ForEachScope((scope, text) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> scopePairs)
                {
                    foreach ((string key, object? value) in scopePairs)
                    {
                        text.Append(key).Append('=').Append(value).Append(';');
                    }
                }
                else
                {
                    text.Append(scope).Append(';');
                }
            }, scopes);
            provider.Logs.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), exception?.ToString(), values.ToString(), scopes.ToString()));
        }
    }
}
