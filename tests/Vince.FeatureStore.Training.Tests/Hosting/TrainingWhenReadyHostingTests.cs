using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Training.Tests.Support;

using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;

namespace Vince.FeatureStore.Training.Tests.Hosting;

/// <summary><c>.AddTrainingWhenReady(t =&gt; t.UseDotnetTrainer())</c> in a real host.</summary>
public sealed class TrainingWhenReadyHostingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Data => Path.Combine(_dir.Path, "features");

    private string Models => Path.Combine(_dir.Path, "models");

    [Fact]
    public async Task The_hosted_service_trains_with_the_dotnet_trainer_and_the_scorer_loads_its_model()
    {
        await TradeDataSet.WriteAsync(Data, trades: 150);
        using IHost host = Host(services => services
            .AddVinceFeatureStore(o =>
            {
                o.DataDirectory = Data;
                o.FsyncOnWrite = false;
            })
            .AddOnnxScoring(o => o.ModelsDirectory = Models)
            .AddTrainingWhenReady(t => t.UseDotnetTrainer(o => o.NumberOfTrees = 10)));

        await host.StartAsync();
        ModelTrainingRunner runner = host.Services.GetRequiredService<ModelTrainingRunner>();
        DotnetModelTrainer trainer = Assert.IsType<DotnetModelTrainer>(runner.Trainer);
        Assert.Equal("dotnet", trainer.Name);
        OnnxSignalQualityScorer scorer = host.Services.GetRequiredService<OnnxSignalQualityScorer>();
        await TestStores.EventuallyAsync(() => scorer.Model is not null, "the scorer loads the model the service trained", 120_000);
        await host.StopAsync();

        // Installed by the service: the set the .NET trainer writes, with the run stamp of the service.
        TrainingMetadata metadata = TrainingMetadata.Load(Path.Combine(Models, "training_metadata.json"));
        Assert.Equal("dotnet", metadata.AdditionalProperties["trainer"].GetProperty("name").GetString());
        Assert.Equal(["signal_quality", "position_sizing", "tp_optimizer", "sl_optimizer"], metadata.ModelsTrained);
        Assert.True(File.Exists(Path.Combine(Models, "last_train_at.txt")));
        Assert.Equal(metadata.HashOf("signal_quality"), scorer.Model!.ModelSha256);
        Assert.True(scorer.Score(TestRecords.Decision("new")).HasModel);
    }

    [Fact]
    public async Task Invalid_trainer_settings_stop_the_start()
    {
        using IHost host = Host(services => services
            .AddVinceFeatureStore(o => o.DataDirectory = Data)
            .AddOnnxScoring(o => o.ModelsDirectory = Models)
            .AddTrainingWhenReady(t => t.UseDotnetTrainer(o => o.NumberOfLeaves = 1)));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.StartsWith("VinceTrainingWhenReady: DotnetTrainerOptions.NumberOfLeaves is 1", StringComparison.Ordinal));
    }

    private static IHost Host(Action<IServiceCollection> configure)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        configure(builder.Services);
        return builder.Build();
    }
}
