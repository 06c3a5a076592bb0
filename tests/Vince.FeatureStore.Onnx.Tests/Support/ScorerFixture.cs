using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Onnx.Model.Proto;

namespace Vince.FeatureStore.Onnx.Tests.Support;

/// <summary>A models directory, a fake logger, and helpers to write a model pair and create a scorer over it.</summary>
internal sealed class ScorerFixture : IDisposable
{
    private readonly List<OnnxSignalQualityScorer> _scorers = [];

    public TempDirectory Directory { get; } = new();

    public FakeLogger Logger { get; } = new();

    public string ModelPath => Directory.File("signal_quality.onnx");

    public string MetadataPath => Directory.File("training_metadata.json");

    public void Write(ModelProto model, System.Text.Json.Nodes.JsonObject? metadata)
    {
        OnnxModels.Save(model, ModelPath);
        metadata?.Save(MetadataPath);
    }

    public OnnxSignalQualityScorer Scorer(Action<OnnxScoringOptions>? configure = null)
    {
        var options = new OnnxScoringOptions { ModelsDirectory = Directory.Path, WatchForChanges = false };
        configure?.Invoke(options);
        var scorer = new OnnxSignalQualityScorer(options, new SingleLoggerFactory(Logger));
        _scorers.Add(scorer);
        return scorer;
    }

    public IReadOnlyList<FakeLogRecord> Events(int eventId) => Logger.Collector.GetSnapshot().Where(r => r.Id.Id == eventId).ToList();

    public void Dispose()
    {
        foreach (OnnxSignalQualityScorer scorer in _scorers)
        {
            scorer.Dispose();
        }

        Directory.Dispose();
    }
}
