using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Onnx.Training;
using Vince.FeatureStore.Training.Tests.Support;

namespace Vince.FeatureStore.Training.Tests.Hosting;

/// <summary><c>t.UseDotnetTrainer(configuration)</c>: binds every setting; an unknown key or a bad value stops the start naming its path.</summary>
public sealed class DotnetTrainerConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IConfiguration Configuration(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Every_setting_binds_from_the_section()
    {
        IConfiguration configuration = Configuration(
            ("VinceDotnetTrainer:NumberOfTrees", "12"),
            ("VinceDotnetTrainer:NumberOfLeaves", "8"),
            ("VinceDotnetTrainer:MinimumExampleCountPerLeaf", "4"),
            ("VinceDotnetTrainer:LearningRate", "0.05"),
            ("VinceDotnetTrainer:HoldoutFraction", "0.3"),
            ("VinceDotnetTrainer:StopLossQuantile", "0.9"),
            ("VinceDotnetTrainer:Seed", "7"),
            ("VinceDotnetTrainer:NumberOfThreads", "2"),
            ("VinceDotnetTrainer:RealOnly", "true"),
            ("VinceDotnetTrainer:SaveMlNetModels", "true"));
        var options = new TrainingWhenReadyOptions().UseDotnetTrainer(configuration.GetSection("VinceDotnetTrainer"));
        using ServiceProvider services = new ServiceCollection().BuildServiceProvider();

        DotnetTrainerOptions bound = Assert.IsType<DotnetModelTrainer>(options.TrainerFactory!(services)).Options;

        Assert.Equal((12, 8, 4, 7, 2), (bound.NumberOfTrees, bound.NumberOfLeaves, bound.MinimumExampleCountPerLeaf, bound.Seed, bound.NumberOfThreads));
        Assert.Equal((0.05, 0.3, 0.9), (bound.LearningRate, bound.HoldoutFraction, bound.StopLossQuantile));
        Assert.True(bound.RealOnly && bound.SaveMlNetModels);
    }

    [Theory]
    [InlineData("NumberOfTress", "50", "Configuration key 'VinceDotnetTrainer:NumberOfTress' is not a setting of DotnetTrainerOptions")]
    [InlineData("LearningRate", "fast", "'fast' of 'VinceDotnetTrainer:LearningRate' is not valid: expected a number")]
    [InlineData("NumberOfLeaves", "1", "DotnetTrainerOptions.NumberOfLeaves is 1")]
    public async Task A_bad_section_stops_the_start_naming_the_key(string key, string value, string expected)
    {
        IConfiguration configuration = Configuration(("VinceDotnetTrainer:" + key, value));
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services
            .AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "features"))
            .AddOnnxScoring(o => o.ModelsDirectory = Path.Combine(_dir.Path, "models"))
            .AddTrainingWhenReady(t => t.UseDotnetTrainer(configuration.GetSection("VinceDotnetTrainer")));
        using IHost host = builder.Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.StartsWith("VinceTrainingWhenReady: ", StringComparison.Ordinal) && f.Contains(expected, StringComparison.Ordinal));
    }
}
