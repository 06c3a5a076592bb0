using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Vince.FeatureStore.Onnx.Hosting;

/// <summary>
/// Creates the scorer when the host starts, so the model is loaded (and a broken model file reported) at
/// start-up rather than on the first call, and the directory is watched from then on.
/// </summary>
internal sealed class OnnxScoringHostedService(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<OnnxSignalQualityScorer>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
