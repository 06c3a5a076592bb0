using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Training;
using Vince.FeatureStore.Training.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests.Support;

/// <summary>
/// A model set trained by the real .NET trainer on a generated trade history, and two logs of live records written by
/// the real store: one from the same market (another seed), one with <c>market.volumeRatio</c> moved up by five
/// standard deviations.
/// </summary>
public sealed class DriftModelSet : IAsyncLifetime
{
    private readonly TempDirectory _root = new();

    public string Training => Path.Combine(_root.Path, "training");

    public string Models => Path.Combine(_root.Path, "models");

    public string Unshifted => Path.Combine(_root.Path, "live-unshifted");

    public string Shifted => Path.Combine(_root.Path, "live-shifted");

    public string Root => _root.Path;

    public async Task InitializeAsync()
    {
        await TradeDataSet.WriteAsync(Training, trades: 1000);
        await new DotnetModelTrainer(new DotnetTrainerOptions { NumberOfTrees = 20 })
            .TrainWithReportAsync(new ModelTrainingRequest { FeaturesDirectory = Training, OutputDirectory = Models, MinSamples = 90 });
        await TradeDataSet.WriteAsync(Unshifted, trades: 480, seed: 29);
        await TradeDataSet.WriteAsync(Shifted, trades: 480, seed: 29, shift: TradeDataSet.ShiftVolumeRatio(5));
    }

    public Task DisposeAsync()
    {
        _root.Dispose();
        return Task.CompletedTask;
    }
}
