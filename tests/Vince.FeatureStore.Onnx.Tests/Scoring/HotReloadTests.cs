using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Vince.FeatureStore.Onnx.Model.Proto;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

/// <summary>
/// Two trainings, A and B, whose models, feature orders and calibrations all differ, so that any mix (model A with
/// the feature order or calibration of B, or the reverse) gives a probability that is neither A's nor B's.
/// </summary>
public sealed class HotReloadTests : IDisposable
{
    private const double Tolerance = 1e-6;
    private static readonly string[] NamesA = FeatureNames;
    private static readonly string[] NamesB = [.. FeatureNames.Reverse()];
    private static readonly float[] WeightsA = Enumerable.Range(0, FeatureNames.Length).Select(i => ((i % 4) - 1.5f) * 0.017f).ToArray();
    private static readonly float[] WeightsB = Enumerable.Range(0, FeatureNames.Length).Select(i => ((i % 5) - 2f) * 0.011f + 0.003f).ToArray();
    private static readonly (double Scale, double Intercept) CalibrationA = (1.0, 0.0);
    private static readonly (double Scale, double Intercept) CalibrationB = (2.2, -0.9);

    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void The_expected_values_tell_every_mix_apart()
    {
        FeatureRecord record = Decision(1);
        double a = Expected(record, WeightsA, NamesA, CalibrationA);
        double b = Expected(record, WeightsB, NamesB, CalibrationB);
        double[] mixes =
        [
            Expected(record, WeightsA, NamesB, CalibrationA), Expected(record, WeightsA, NamesA, CalibrationB), Expected(record, WeightsA, NamesB, CalibrationB),
            Expected(record, WeightsB, NamesA, CalibrationB), Expected(record, WeightsB, NamesB, CalibrationA), Expected(record, WeightsB, NamesA, CalibrationA),
        ];

        Assert.True(Math.Abs(a - b) > 1e-3);
        Assert.All(mixes, m => Assert.True(Math.Abs(m - a) > 1e-4 && Math.Abs(m - b) > 1e-4, $"mix {m} vs A {a}, B {b}"));
    }

    [Fact]
    public async Task Concurrent_scores_during_reloads_never_mix_two_trainings()
    {
        WriteA();
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        FeatureRecord record = Decision(1);
        double a = Expected(record, WeightsA, NamesA, CalibrationA);
        double b = Expected(record, WeightsB, NamesB, CalibrationB);
        var mixes = new ConcurrentBag<string>();
        var versionsSeen = new ConcurrentDictionary<long, int>();
        long scores = 0;
        using var stop = new CancellationTokenSource();

        // Dedicated threads, so the reloads' thread-pool work is not starved by the scoring loops.
        Thread[] scorers = Enumerable.Range(0, 3).Select(_ => new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                SignalQualityScore score = scorer.Score(record);
                double expected = score.ModelVersion % 2 == 1 ? a : b; // versions 1, 3, 5 … are training A; 2, 4, 6 … training B
                if (Math.Abs(score.Probability - expected) > Tolerance)
                {
                    mixes.Add($"v{score.ModelVersion}: {score.Probability} (A {a}, B {b})");
                }

                versionsSeen.TryAdd(score.ModelVersion, 0);
                Interlocked.Increment(ref scores);
            }
        })).ToArray();
        foreach (Thread thread in scorers)
        {
            thread.Start();
        }

        const int reloads = 20;
        for (int i = 0; i < reloads; i++)
        {
            if (i % 2 == 0)
            {
                WriteB();
            }
            else
            {
                WriteA();
            }

            OnnxModelInfo? model = await scorer.ReloadAsync();
            Assert.Equal(i + 2, model!.Version);
            await Task.Delay(5);
        }

        await stop.CancelAsync();
        foreach (Thread thread in scorers)
        {
            thread.Join();
        }

        Assert.Empty(mixes);
        Assert.True(Interlocked.Read(ref scores) > 100, $"only {scores} scores");
        Assert.True(versionsSeen.Count > reloads / 2, $"scores saw only {versionsSeen.Count} of the {reloads + 1} models");
    }

    [Fact]
    public async Task A_new_training_is_picked_up_by_the_watcher_and_a_half_written_pair_waits()
    {
        WriteA(withHash: true);
        OnnxSignalQualityScorer scorer = _fixture.Scorer(o =>
        {
            o.WatchForChanges = true;
            o.ReloadDebounce = TimeSpan.FromMilliseconds(100);
        });
        FeatureRecord record = Decision(1);
        double a = Expected(record, WeightsA, NamesA, CalibrationA);
        double b = Expected(record, WeightsB, NamesB, CalibrationB);
        Assert.Equal(a, scorer.Score(record).Probability, Tolerance);

        // The script writes the models first and the metadata last: model B with metadata A is not a pair.
        OnnxModels.Save(ModelB(), _fixture.ModelPath);
        await WaitUntil(() => _fixture.Events(3005).Count > 0, "the incomplete pair to be noticed");
        Assert.Equal(1, scorer.Model!.Version);
        Assert.Equal(a, scorer.Score(record).Probability, Tolerance);

        MetadataB().WithHash(_fixture.ModelPath).Save(_fixture.MetadataPath);
        await WaitUntil(() => scorer.Model?.Version == 2, "training B to be loaded");
        Assert.Equal(b, scorer.Score(record).Probability, Tolerance);
        Assert.Null(scorer.LastReloadError);

        // Touching the files without changing them keeps the model.
        File.SetLastWriteTimeUtc(_fixture.MetadataPath, DateTime.UtcNow);
        await WaitUntil(() => _fixture.Events(3007).Count > 0, "the unchanged reload");
        Assert.Equal(2, scorer.Model!.Version);

        File.Delete(_fixture.ModelPath);
        await WaitUntil(() => scorer.Model is null, "the model to be unloaded");
        Assert.False(scorer.Score(record).HasModel);
        Assert.Single(_fixture.Events(3006));
    }

    [Fact]
    public async Task A_broken_new_model_keeps_the_previous_one_and_reports_the_error()
    {
        WriteA();
        OnnxSignalQualityScorer scorer = _fixture.Scorer(o =>
        {
            o.WatchForChanges = true;
            o.ReloadDebounce = TimeSpan.FromMilliseconds(100);
        });
        FeatureRecord record = Decision(1);
        double a = Expected(record, WeightsA, NamesA, CalibrationA);

        File.WriteAllBytes(_fixture.ModelPath, [0x08, 0x07, 0x12, 0xFF, 0xFF, 0x01]);
        await WaitUntil(() => scorer.LastReloadError is not null, "the failed reload");

        Assert.IsType<OnnxModelLoadException>(scorer.LastReloadError);
        Assert.Equal(1, scorer.Model!.Version);
        Assert.Equal(a, scorer.Score(record).Probability, Tolerance);
        var error = Assert.Single(_fixture.Events(3004));
        Assert.Contains("still using model v1", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<OnnxModelLoadException>(() => scorer.ReloadAsync());

        WriteB();
        await WaitUntil(() => scorer.Model?.Version == 2, "training B to be loaded");
        Assert.Null(scorer.LastReloadError);
    }

    [Fact]
    public async Task Disposing_during_scores_lets_calls_in_flight_finish()
    {
        WriteA();
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        FeatureRecord record = Decision(1);
        double a = Expected(record, WeightsA, NamesA, CalibrationA);
        var failures = new ConcurrentBag<Exception>();
        int scored = 0;
        Task[] callers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            try
            {
                while (true)
                {
                    Assert.Equal(a, scorer.Score(record).Probability, Tolerance);
                    Interlocked.Increment(ref scored);
                }
            }
            catch (ObjectDisposedException)
            {
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
        })).ToArray();

        await WaitUntil(() => Volatile.Read(ref scored) > 1000, "scores to run");
        scorer.Dispose();
        await Task.WhenAll(callers);

        Assert.Empty(failures);
    }

    private static double Expected(FeatureRecord record, float[] weights, string[] names, (double Scale, double Intercept) calibration)
    {
        // The model multiplies input i by weights[i]; input i is the column names[i].
        float[] row = ExpectedVector(record);
        double z = 0.05;
        for (int i = 0; i < names.Length; i++)
        {
            z += (double)row[Array.IndexOf(FeatureNames, names[i])] * weights[i];
        }

        double p = (float)(1 / (1 + Math.Exp(-z)));
        return 1 / (1 + Math.Exp(-((calibration.Scale * p) + calibration.Intercept)));
    }

    private static ModelProto ModelA() => OnnxModels.LogisticRegression(WeightsA, 0.05f);

    private static ModelProto ModelB() => OnnxModels.LogisticRegression(WeightsB, 0.05f);

    private static JsonObject MetadataA() => MetadataJson.For(NamesA, calibration: CalibrationA);

    private static JsonObject MetadataB() => MetadataJson.For(NamesB, calibration: CalibrationB);

    private void WriteA(bool withHash = false)
    {
        OnnxModels.Save(ModelA(), _fixture.ModelPath);
        (withHash ? MetadataA().WithHash(_fixture.ModelPath) : MetadataA()).Save(_fixture.MetadataPath);
    }

    private void WriteB()
    {
        OnnxModels.Save(ModelB(), _fixture.ModelPath);
        MetadataB().Save(_fixture.MetadataPath);
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
