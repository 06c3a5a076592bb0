using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Onnx.Tests.Support;
using Vince.FeatureStore.Onnx.Training;

namespace Vince.FeatureStore.Onnx.Tests.Hosting;

/// <summary>
/// The <see cref="IConfiguration"/> overloads of <c>AddOnnxScoring</c> and <c>AddTrainingWhenReady</c>: every setting binds
/// (the external trainer's too) and a key that is not a setting stops the start naming its full path.
/// </summary>
public sealed class ConfigurationBindingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IConfiguration Configuration(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private IHost Host(Action<FeatureStoreBuilder> configure)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        configure(builder.Services.AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "features")));
        return builder.Build();
    }

    [Fact]
    public async Task A_misspelt_scoring_key_stops_the_start_naming_its_full_path()
    {
        IConfiguration configuration = Configuration(("VinceOnnxScoring:ModelsDirectory", _dir.Path), ("VinceOnnxScoring:Treshold", "0.7"));
        using IHost host = Host(store => store.AddOnnxScoring(configuration.GetSection("VinceOnnxScoring")));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Configuration key 'VinceOnnxScoring:Treshold' is not a setting of OnnxScoringOptions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_when_ready_binds_every_setting_with_the_external_trainers_list_and_map()
    {
        string work = Directory.CreateDirectory(Path.Combine(_dir.Path, "work")).FullName;
        IConfiguration configuration = Configuration(
            ("VinceTrainingWhenReady:MinSamples", "30"),
            ("VinceTrainingWhenReady:CheckInterval", "00:10:00"),
            ("VinceTrainingWhenReady:MinTimeBetweenTrainings", "06:00:00"),
            ("VinceTrainingWhenReady:FeaturesDirectory", Path.Combine(_dir.Path, "f")),
            ("VinceTrainingWhenReady:ModelsDirectory", Path.Combine(_dir.Path, "m")),
            ("VinceTrainingWhenReady:UploadToBucket", "false"),
            ("VinceTrainingWhenReady:ReloadScorer", "false"),
            ("VinceTrainingWhenReady:ExternalProcess:Command", "sh"),
            ("VinceTrainingWhenReady:ExternalProcess:ScriptPath", "train.sh"),
            ("VinceTrainingWhenReady:ExternalProcess:Arguments:0", "-c"),
            ("VinceTrainingWhenReady:ExternalProcess:Arguments:1", "true {output}"),
            ("VinceTrainingWhenReady:ExternalProcess:Timeout", "00:05:00"),
            ("VinceTrainingWhenReady:ExternalProcess:WorkingDirectory", work),
            ("VinceTrainingWhenReady:ExternalProcess:Environment:TRAINING_MODE", "fast"),
            ("VinceTrainingWhenReady:ExternalProcess:OutputTailLines", "50"));
        using IHost host = Host(store => store.AddTrainingWhenReady(configuration.GetSection("VinceTrainingWhenReady"), t => t.MinSamples += 1));

        TrainingWhenReadyOptions options = host.Services.GetRequiredService<IOptions<TrainingWhenReadyOptions>>().Value;

        Assert.Equal(31, options.MinSamples); // the delegate runs after binding
        Assert.Equal((TimeSpan.FromMinutes(10), TimeSpan.FromHours(6)), (options.CheckInterval, options.MinTimeBetweenTrainings));
        Assert.Equal((Path.Combine(_dir.Path, "f"), Path.Combine(_dir.Path, "m")), (options.FeaturesDirectory, options.ModelsDirectory));
        Assert.False(options.UploadToBucket || options.ReloadScorer);
        ExternalProcessTrainerOptions external = options.ExternalProcess;
        Assert.Equal(("sh", "train.sh", work), (external.Command, external.ScriptPath, external.WorkingDirectory));
        Assert.Equal(["-c", "true {output}"], external.Arguments); // replaces the default list, not merged with it
        Assert.Equal((TimeSpan.FromMinutes(5), 50), (external.Timeout, external.OutputTailLines));
        Assert.Equal("fast", external.Environment["TRAINING_MODE"]);
    }

    [Theory]
    [InlineData("VinceTrainingWhenReady:MinSampels")]
    [InlineData("VinceTrainingWhenReady:ExternalProcess:Comand")]
    public async Task A_misspelt_train_when_ready_key_stops_the_start_naming_its_full_path(string key)
    {
        IConfiguration configuration = Configuration(
            (key, "x"),
            ("VinceTrainingWhenReady:ExternalProcess:Command", "sh"),
            ("VinceTrainingWhenReady:ExternalProcess:Arguments:0", "{output}"));
        using IHost host = Host(store => store.AddTrainingWhenReady(configuration.GetSection("VinceTrainingWhenReady")));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"Configuration key '{key}' is not a setting of TrainingWhenReadyOptions", error.Message, StringComparison.Ordinal);
    }
}
