using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Hosting;

public sealed class OnnxScoringHostingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AddOnnxScoring_loads_the_model_when_the_host_starts()
    {
        string models = Path.Combine(_dir.Path, "models");
        Directory.CreateDirectory(models);
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), Path.Combine(models, "signal_quality.onnx"));
        MetadataJson.For(FeatureNames, threshold: 0.57).Save(Path.Combine(models, "training_metadata.json"));

        using IHost host = Host(services => services
            .AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "features"))
            .AddOnnxScoring(o => o.ModelsDirectory = models));
        await host.StartAsync();

        OnnxSignalQualityScorer scorer = host.Services.GetRequiredService<OnnxSignalQualityScorer>();
        Assert.Equal(1, scorer.Model!.Version);
        Assert.Equal(0.57, scorer.Score(Decision(1)).Threshold);
        Assert.Equal(Path.GetFullPath(models), scorer.ModelsDirectory);
        await host.StopAsync();
    }

    [Fact]
    public async Task Invalid_options_stop_the_start_with_every_problem_named()
    {
        using IHost host = Host(services => services
            .AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "features"))
            .AddOnnxScoring(o =>
            {
                o.ModelsDirectory = _dir.Path;
                o.Threshold = -0.1;
                o.ReloadDebounce = TimeSpan.FromHours(1);
            }));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.StartsWith("VinceOnnxScoring: Threshold", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("VinceOnnxScoring: ReloadDebounce", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_broken_model_stops_the_start_with_the_file_named()
    {
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), Path.Combine(_dir.Path, "signal_quality.onnx"));
        MetadataJson.For(FeatureNames[..5]).Save(Path.Combine(_dir.Path, "training_metadata.json"));
        using IHost host = Host(services => services
            .AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "features"))
            .AddOnnxScoring(o => o.ModelsDirectory = _dir.Path));

        OnnxModelLoadException error = await Assert.ThrowsAsync<OnnxModelLoadException>(() => host.StartAsync());

        Assert.Contains("signal_quality.onnx takes 27 input features", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_bind_from_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VinceOnnxScoring:ModelsDirectory"] = _dir.Path,
            ["VinceOnnxScoring:Threshold"] = "0.65",
            ["VinceOnnxScoring:WatchForChanges"] = "false",
            ["VinceOnnxScoring:ReloadDebounce"] = "00:00:05",
            ["VinceOnnxScoring:VerifyModelHash"] = "false",
            ["VinceOnnxScoring:IntraOpNumThreads"] = "2",
            ["VinceOnnxScoring:ModelFileName"] = "sq.onnx",
            ["VinceOnnxScoring:MetadataFileName"] = "meta.json",
        }).Build();
        using IHost host = Host(services => services
            .AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "features"))
            .AddOnnxScoring(configuration.GetSection("VinceOnnxScoring")));
        await host.StartAsync();

        OnnxScoringOptions options = host.Services.GetRequiredService<IOptions<OnnxScoringOptions>>().Value;
        Assert.Equal(_dir.Path, options.ModelsDirectory);
        Assert.Equal(0.65, options.Threshold);
        Assert.False(options.WatchForChanges);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ReloadDebounce);
        Assert.False(options.VerifyModelHash);
        Assert.Equal(2, options.IntraOpNumThreads);
        Assert.Equal("sq.onnx", options.ModelFileName);
        Assert.Equal("meta.json", options.MetadataFileName);
        Assert.Null(host.Services.GetRequiredService<OnnxSignalQualityScorer>().Model);
        await host.StopAsync();
    }

    [Fact]
    public void A_configuration_value_that_does_not_parse_names_the_key()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VinceOnnxScoring:Threshold"] = "high",
        }).Build();
        var services = new ServiceCollection();
        services.AddVinceFeatureStore().AddOnnxScoring(configuration.GetSection("VinceOnnxScoring"));
        using ServiceProvider provider = services.BuildServiceProvider();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<OnnxScoringOptions>>().Value);

        Assert.Contains("'high' of 'VinceOnnxScoring:Threshold'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_models_directory_is_the_option_else_the_environment_variable_else_the_bots_default()
    {
        Assert.Equal("/srv/models", new OnnxScoringOptions { ModelsDirectory = "/srv/models" }.ResolveModelsDirectory(_ => "/env/models"));
        Assert.Equal("/env/models", new OnnxScoringOptions().ResolveModelsDirectory(name => name == "VINCE_ML_MODELS_DIR" ? "/env/models" : null));
        Assert.Equal(".elizadb/vince-paper-bot/models", new OnnxScoringOptions().ResolveModelsDirectory(_ => null));
        Assert.Equal(".elizadb/vince-paper-bot/models", new OnnxScoringOptions().ResolveModelsDirectory(_ => " "));
    }

    private static IHost Host(Action<IServiceCollection> configure)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        configure(builder.Services);
        return builder.Build();
    }
}
