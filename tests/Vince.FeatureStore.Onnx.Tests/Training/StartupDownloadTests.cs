using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Onnx.Tests.Training.Support;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Training;

/// <summary>
/// <c>.AddOnnxScoring()</c> with a registered model bucket: the set is downloaded before the scorer loads when the models
/// directory has no model, and a failed download never keeps the host from starting. The bucket here is a directory
/// (the Supabase tests run the same start-up against the Storage stand-in).
/// </summary>
public sealed class StartupDownloadTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeLogCollector _logs = new();

    public StartupDownloadTests() => Bucket = new DirectoryBucket(Path.Combine(_dir.Path, "bucket"));

    private DirectoryBucket Bucket { get; }

    private string Models => Path.Combine(_dir.Path, "models");

    public void Dispose() => _dir.Dispose();

    private IHost Host(Action<IServiceCollection>? before = null, bool download = true)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(new FakeLoggerProvider(_logs));
        builder.Services.AddSingleton<IModelBucket>(Bucket);
        before?.Invoke(builder.Services);
        builder.Services
            .AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "features"))
            .AddOnnxScoring(o =>
            {
                o.ModelsDirectory = Models;
                o.DownloadLatestModels = download;
            });
        return builder.Build();
    }

    private void FillBucket() => TrainedSets.WriteTrees(Bucket.Root);

    private FakeLogRecord Event(int id) => Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == id);

    [Fact]
    public async Task An_empty_models_directory_gets_the_buckets_set_before_the_scorer_loads()
    {
        FillBucket();
        using IHost host = Host();

        await host.StartAsync();

        OnnxSignalQualityScorer scorer = host.Services.GetRequiredService<OnnxSignalQualityScorer>();
        Assert.Equal(1, scorer.Model!.Version); // loaded once, from the downloaded files: no "no model" start
        Assert.Equal(TrainedSets.ExpectedTrees(Decision(4)), scorer.Score(Decision(4)).Probability, 1e-6);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Bucket.Root, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx")));
        Assert.Contains(Models, Event(3050).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Id.Id == 3003); // never reported "no model"
        await host.StopAsync();
    }

    [Fact]
    public async Task A_scorer_created_before_the_download_is_reloaded_with_the_downloaded_set()
    {
        FillBucket();
        // A hosted service constructed before the scoring one resolves the scorer: it is created before the download.
        using IHost host = Host(before: s => s.AddSingleton<IHostedService>(sp => new ResolvesScorer(sp.GetRequiredService<OnnxSignalQualityScorer>())));

        await host.StartAsync();

        OnnxSignalQualityScorer scorer = host.Services.GetRequiredService<OnnxSignalQualityScorer>();
        Assert.NotNull(scorer.Model);
        Assert.Equal(TrainedSets.ExpectedTrees(Decision(4)), scorer.Score(Decision(4)).Probability, 1e-6);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_failed_download_is_logged_and_the_host_starts_with_no_model()
    {
        FillBucket();
        Bucket.Failure = new HttpRequestException("storage unreachable");
        using IHost host = Host();

        await host.StartAsync();

        OnnxSignalQualityScorer scorer = host.Services.GetRequiredService<OnnxSignalQualityScorer>();
        Assert.Null(scorer.Model);
        Assert.Equal(SignalQualityScore.NoModel, scorer.Score(Decision(1)));
        FakeLogRecord failed = Event(3052);
        Assert.Equal(LogLevel.Error, failed.Level);
        Assert.Same(Bucket.Failure, failed.Exception);
        Assert.False(Directory.Exists(Models) && Directory.EnumerateFiles(Models, "*.onnx").Any());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_directory_that_already_holds_the_latest_run_is_not_downloaded_into()
    {
        FillBucket();
        TrainedSets.WriteTrees(Models);
        using IHost host = Host();

        await host.StartAsync();

        Assert.Equal(0, Bucket.Downloads);
        Assert.Equal(TrainedSets.ExpectedTrees(Decision(1)), host.Services.GetRequiredService<OnnxSignalQualityScorer>().Score(Decision(1)).Probability, 1e-6);
        Assert.Equal(LogLevel.Debug, Event(3053).Level);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_directory_holding_another_set_gets_the_latest_run_at_start_up()
    {
        FillBucket();
        TrainedSets.WriteLinear(Models);
        using IHost host = Host();

        await host.StartAsync();

        Assert.Equal(1, Bucket.Downloads);
        Assert.Equal(TrainedSets.ExpectedTrees(Decision(1)), host.Services.GetRequiredService<OnnxSignalQualityScorer>().Score(Decision(1)).Probability, 1e-6);
        Assert.Contains(Models, Event(3050).Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task An_empty_bucket_leaves_the_scorer_without_a_model()
    {
        using IHost host = Host();

        await host.StartAsync();

        Assert.Null(host.Services.GetRequiredService<OnnxSignalQualityScorer>().Model);
        Assert.Equal(LogLevel.Information, Event(3051).Level);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_download_can_be_turned_off()
    {
        FillBucket();
        using IHost host = Host(download: false);

        await host.StartAsync();

        Assert.Equal(0, Bucket.Downloads);
        Assert.Null(host.Services.GetRequiredService<OnnxSignalQualityScorer>().Model);
        await host.StopAsync();
    }

    private sealed class ResolvesScorer(OnnxSignalQualityScorer scorer) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            Assert.Null(scorer.Model); // created before the download: nothing there yet
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
