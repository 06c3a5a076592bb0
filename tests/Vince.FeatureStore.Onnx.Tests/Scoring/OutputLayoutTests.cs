using Microsoft.ML.OnnxRuntime;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Model.Proto;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

/// <summary>
/// Real ONNX models in every layout a user can have, run by ONNX Runtime through the scorer; the expected
/// probability is computed here from the trees (walked by hand) or the weights, on an input row written out by hand.
/// </summary>
public sealed class OutputLayoutTests : IDisposable
{
    private const double Tolerance = 1e-6;
    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.3)]
    public void Xgboost_export_gives_class_1_of_probabilities(double baseScore)
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length, baseScore), MetadataJson.For(FeatureNames));
        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        // Earlier BTC records feed the lag columns; an ETH record in between must not.
        var history = new FeatureHistory();
        history.Add(Decision(1, priceChange: 0.8));
        history.Add(Decision(2, priceChange: -0.4));
        history.Add(Decision(3, asset: "ETH", priceChange: 9.9));
        var cases = new (FeatureRecord Record, double?[] Lags)[]
        {
            (Decision(4), [-0.4, 0.8]),
            (Decision(5, priceChange: 2.5, strength: 41, utcHour: 3), [-0.4, 0.8]),
            (Decision(6, asset: "ETH", priceChange: -3, strength: 75), [9.9]),
        };

        var probabilities = new HashSet<double>();
        foreach ((FeatureRecord record, double?[] lags) in cases)
        {
            double expected = OnnxModels.Probability(Trees, ExpectedVector(record, lags), baseScore);

            SignalQualityScore score = scorer.Score(record, history);

            Assert.True(score.HasModel);
            Assert.Equal(expected, score.Probability, Tolerance);
            Assert.Equal(score.Probability, score.ModelProbability);
            probabilities.Add(Math.Round(expected, 6));
        }

        Assert.Equal(cases.Length, probabilities.Count); // the cases take different paths through the trees
        Assert.Equal("probabilities", scorer.Model!.OutputName);
        Assert.Equal(1, scorer.Model.OutputColumn);
        Assert.Empty(scorer.Model.Repairs);
        Assert.Empty(_fixture.Events(3001));
    }

    [Fact]
    public void The_scripts_renamed_output_is_refused_by_onnx_runtime_and_repaired_at_load()
    {
        ModelProto broken = OnnxModels.WithRenamedOutput(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length, 0.4));
        _fixture.Write(broken, MetadataJson.For(FeatureNames));
        OnnxRuntimeException refused = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(File.ReadAllBytes(_fixture.ModelPath)));
        Assert.Contains("output", refused.Message, StringComparison.Ordinal);

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        FeatureRecord record = Decision(1);
        Assert.Equal(OnnxModels.Probability(Trees, ExpectedVector(record), 0.4), scorer.Score(record).Probability, Tolerance);
        string repair = Assert.Single(scorer.Model!.Repairs);
        Assert.Contains("'output'", repair, StringComparison.Ordinal);
        Assert.Contains("'label'", repair, StringComparison.Ordinal);
        var logged = Assert.Single(_fixture.Events(3001));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, logged.Level);
        Assert.Contains(_fixture.ModelPath, logged.Message, StringComparison.Ordinal);
        Assert.Equal("probabilities", scorer.Model.OutputName);
    }

    [Fact]
    public void A_zipmap_output_gives_the_value_of_key_1()
    {
        _fixture.Write(OnnxModels.ZipMapClassifier(Trees, FeatureNames.Length, 0.6), MetadataJson.For(FeatureNames));

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        FeatureRecord record = Decision(1, strength: 55);
        Assert.Equal(OnnxModels.Probability(Trees, ExpectedVector(record), 0.6), scorer.Score(record).Probability, Tolerance);
        Assert.Equal("probability_tensor", scorer.Model!.OutputName);
        Assert.Equal(1, scorer.Model.OutputColumn);
        Assert.Contains(scorer.Model.Repairs, r => r.Contains("ZipMap", StringComparison.Ordinal));
    }

    [Fact]
    public void The_zipmap_model_itself_gives_the_same_key_1_probability_in_onnx_runtime()
    {
        // The bypass must not change the answer: read the sequence of maps the way a caller of ONNX Runtime would.
        ModelProto model = OnnxModels.ZipMapClassifier(Trees, FeatureNames.Length, 0.6);
        FeatureRecord record = Decision(1, strength: 55);
        float[] x = ExpectedVector(record);
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model));
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(x, [1, x.Length]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(runOptions, ["input"], [input], ["output_probability"]);
        using OrtValue map = outputs[0].GetValue(0, OrtAllocator.DefaultInstance);
        using OrtValue keys = map.GetValue(0, OrtAllocator.DefaultInstance);
        using OrtValue values = map.GetValue(1, OrtAllocator.DefaultInstance);
        int index = keys.GetTensorDataAsSpan<long>().IndexOf(1L);

        _fixture.Write(model, MetadataJson.For(FeatureNames));
        Assert.Equal(values.GetTensorDataAsSpan<float>()[index], _fixture.Scorer().Score(record).Probability, Tolerance);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_single_float_output_is_the_probability(bool squeezed)
    {
        float[] weights = Enumerable.Range(0, FeatureNames.Length).Select(i => ((i % 5) - 2) * 0.013f).ToArray();
        _fixture.Write(OnnxModels.LogisticRegression(weights, -0.2f, squeezed), MetadataJson.For(FeatureNames));

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        FeatureRecord record = Decision(1);
        float[] x = ExpectedVector(record);
        double z = -0.2 + x.Select((v, i) => (double)v * weights[i]).Sum();
        Assert.Equal(1 / (1 + Math.Exp(-z)), scorer.Score(record).Probability, Tolerance);
        Assert.Equal("probability", scorer.Model!.OutputName);
        Assert.Equal(0, scorer.Model.OutputColumn);
    }

    [Fact]
    public void An_integer_label_is_never_read_as_a_probability()
    {
        _fixture.Write(OnnxModels.LabelOnlyClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames));

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.Contains("no probability output", error.Message, StringComparison.Ordinal);
        Assert.Contains("'label' (int64 tensor: a class label, never read as a probability)", error.Message, StringComparison.Ordinal);
        Assert.Contains(_fixture.ModelPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_negative_leaves_also_get_the_logistic_function()
    {
        // Older ONNX Runtime versions skipped post_transform LOGISTIC for a binary tree ensemble whose leaf weights
        // are all non-negative and returned the raw margin. The version this package uses applies it: this guards
        // against a regression when ONNX Runtime is upgraded.
        TreeNode[] positive =
        [
            new Split(4, 60f, new Leaf(0.04f), new Leaf(0.35f)),
            new Split(0, -1f, new Leaf(0.22f), new Leaf(0.01f)),
        ];
        ModelProto model = OnnxModels.XgboostClassifier(positive, FeatureNames.Length);
        FeatureRecord record = Decision(1);
        double expected = OnnxModels.Probability(positive, ExpectedVector(record));
        _fixture.Write(model, MetadataJson.For(FeatureNames));

        Assert.Equal(expected, _fixture.Scorer().Score(record).Probability, Tolerance);
    }
}
