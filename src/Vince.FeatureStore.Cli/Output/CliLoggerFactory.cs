using Microsoft.Extensions.Logging;

namespace Vince.FeatureStore.Cli;

/// <summary>
/// Sends the libraries' log messages to the tool's stderr as one line each (<c>warning: …</c>): warnings and errors,
/// and information too with <c>--verbose</c>. The libraries never log a secret, so neither does this.
/// </summary>
internal sealed class CliLoggerFactory(CliContext context, LogLevel minimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new CliLogger(context, minimum);

    public void AddProvider(ILoggerProvider provider)
        => throw new NotSupportedException("The tool's logger factory writes to stderr only.");

    public void Dispose()
    {
    }

    private sealed class CliLogger(CliContext context, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string level = logLevel switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warning",
                LogLevel.Error => "error",
                _ => "critical",
            };
            string message = $"{level}: {formatter(state, exception)}";
            if (exception is not null)
            {
                message += context.Verbose ? Environment.NewLine + exception : $" ({exception.GetType().Name}: {exception.Message})";
            }

            context.WriteError(message);
        }
    }
}
