using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Onnx.Tests.Support;

namespace Vince.FeatureStore.Onnx.Tests.Hosting;

/// <summary>Runs alone: it sets the process-wide VINCE_ML_MODELS_DIR, which every scorer without a directory reads.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironment
{
    public const string Name = "Process environment";
}

/// <summary>The host's scorer reads <c>VINCE_ML_MODELS_DIR</c> from the process (through <see cref="VinceEnvironment"/>) when no directory is configured.</summary>
[Collection(ProcessEnvironment.Name)]
public sealed class ModelsDirectoryEnvironmentTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_models_directory_comes_from_the_process_environment_when_unset_and_the_option_wins()
    {
        string fromEnvironment = Path.Combine(_dir.Path, "env-models");
        string? saved = Environment.GetEnvironmentVariable(VinceEnvironment.ModelsDirectory);
        try
        {
            Environment.SetEnvironmentVariable(VinceEnvironment.ModelsDirectory, fromEnvironment);
            HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Services.AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "features")).AddOnnxScoring();
            using IHost host = builder.Build();
            await host.StartAsync();

            Assert.Equal(Path.GetFullPath(fromEnvironment), host.Services.GetRequiredService<OnnxSignalQualityScorer>().ModelsDirectory);
            Assert.Equal("/explicit", new OnnxScoringOptions { ModelsDirectory = "/explicit" }.ResolveModelsDirectory());
            await host.StopAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable(VinceEnvironment.ModelsDirectory, saved);
        }
    }
}
