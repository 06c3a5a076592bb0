using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Tests.Support;

/// <summary>One training on a generated trade history, shared by the tests that inspect its output.</summary>
public sealed class TrainedModelsFixture : IAsyncLifetime
{
    public const int Trades = 1500;

    private readonly TempDirectory _root = new();

    public string DataDirectory => Path.Combine(_root.Path, "features");

    public string ModelsDirectory => Path.Combine(_root.Path, "models");

    public DotnetTrainerOptions Options { get; } = new() { NumberOfTrees = 40, SaveMlNetModels = true };

    public DotnetTrainingReport Report { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await TradeDataSet.WriteAsync(DataDirectory, Trades);
        Directory.CreateDirectory(ModelsDirectory);
        var trainer = new DotnetModelTrainer(Options);
        Report = await trainer.TrainWithReportAsync(new ModelTrainingRequest { FeaturesDirectory = DataDirectory, OutputDirectory = ModelsDirectory });
    }

    public Task DisposeAsync()
    {
        _root.Dispose();
        return Task.CompletedTask;
    }
}
