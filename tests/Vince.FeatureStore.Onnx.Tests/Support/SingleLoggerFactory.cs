using Microsoft.Extensions.Logging;

namespace Vince.FeatureStore.Onnx.Tests.Support;

/// <summary>Routes every category to one logger (e.g. a FakeLogger) so a test sees all output of a run.</summary>
public sealed class SingleLoggerFactory(ILogger logger) : ILoggerFactory
{
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public ILogger CreateLogger(string categoryName) => logger;

    public void Dispose()
    {
    }
}
