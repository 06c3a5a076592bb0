using Microsoft.ML.OnnxRuntime;
using Vince.FeatureStore.Training.Models;
using Vince.FeatureStore.Training.Onnx;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Tests.Onnx;

/// <summary>
/// Hand-made tree ensembles exported and run by ONNX Runtime; every expected value is walked by hand from the trees
/// written in the test.
/// </summary>
public sealed class OnnxModelWriterTests
{
    // x[1] ≤ 0.5 → leaf 0 (0.25); else x[2] ≤ 10 → leaf 1 (1.0), else leaf 2 (2.0).
    private static readonly ExportTree Tree = new(Left: [~0, ~1], Right: [1, ~2], Feature: [1, 2], Threshold: [0.5f, 10f], Leaves: [0.25, 1.0, 2.0]);

    // x[0] ≤ −1 → leaf 0 (−0.5), else leaf 1 (0.5).
    private static readonly ExportTree Stump = new(Left: [~0], Right: [~1], Feature: [0], Threshold: [-1f], Leaves: [-0.5, 0.5]);

    [Theory]
    [InlineData(0f, 0.5f, 0f, 0.1 + 0.25)] // equal to the threshold goes left, as in ML.NET
    [InlineData(0f, 0.6f, 10f, 0.1 + 1.0)]
    [InlineData(0f, 0.6f, 10.5f, 0.1 + 2.0)]
    public void A_binary_classifier_with_only_positive_weights_still_applies_the_logistic(float x0, float x1, float x2, double logit)
    {
        // Every leaf weight is ≥ 0: ONNX Runtime would read the raw sum as a probability unless the writer shifts one.
        byte[] model = OnnxModelWriter.BinaryClassifier(new ScoreEnsemble([Tree], LeafScale: 1, Base: 0.1), featureCount: 3, "test");

        (float[] probabilities, long label) = RunClassifier(model, [x0, x1, x2]);

        double p = 1 / (1 + Math.Exp(-logit));
        Assert.Equal(1 - p, probabilities[0], 6);
        Assert.Equal(p, probabilities[1], 6);
        Assert.Equal(1, label);
    }

    [Fact]
    public void A_binary_classifier_scales_leaves_and_sums_trees()
    {
        // Logit = −0.2 + 2 · (leaf(Tree) + leaf(Stump)); with x = (−2, 0.6, 11): 2 · (2.0 − 0.5) − 0.2 = 2.8.
        byte[] model = OnnxModelWriter.BinaryClassifier(new ScoreEnsemble([Tree, Stump], LeafScale: 2, Base: -0.2), featureCount: 3, "test");

        (float[] probabilities, long label) = RunClassifier(model, [-2f, 0.6f, 11f]);
        Assert.Equal(1 / (1 + Math.Exp(-2.8)), probabilities[1], 6);
        Assert.Equal(1, label);

        // x = (−2, 0, 0): 2 · (0.25 − 0.5) − 0.2 = −0.7 → class 0.
        (probabilities, label) = RunClassifier(model, [-2f, 0f, 0f]);
        Assert.Equal(1 / (1 + Math.Exp(0.7)), probabilities[1], 6);
        Assert.Equal(0, label);
    }

    [Fact]
    public void A_regressor_adds_its_base_value_and_an_empty_tree_contributes_nothing()
    {
        // An empty tree outputs 0 in ML.NET whatever its single leaf holds.
        var empty = new ExportTree([], [], [], [], [5.0]);
        byte[] model = OnnxModelWriter.Regressor(new ScoreEnsemble([Tree, empty, Stump], LeafScale: 1, Base: 1.5), featureCount: 3, "test");

        Assert.Equal(1.5 + 1.0 + 0.5, RunRegressor(model, [0f, 0.6f, 3f]), 6);
        Assert.Equal(1.5 + 0.25 - 0.5, RunRegressor(model, [-1f, 0.5f, 3f]), 6);
    }

    [Fact]
    public void A_one_versus_all_classifier_normalises_class_probabilities_and_labels_the_most_probable_class()
    {
        // Class 3: logit Stump(x) ; class 7: logit 0.2 + Tree(x).
        byte[] model = OnnxModelWriter.OneVersusAllClassifier(
            [new ScoreEnsemble([Stump], 1, 0), new ScoreEnsemble([Tree], 1, 0.2)], [3, 7], featureCount: 3, "test");

        // x = (0, 0.6, 20): class 3 logit 0.5, class 7 logit 2.2.
        (float[] probabilities, long label) = RunClassifier(model, [0f, 0.6f, 20f]);
        double p3 = 1 / (1 + Math.Exp(-0.5)), p7 = 1 / (1 + Math.Exp(-2.2));
        Assert.Equal(p3 / (p3 + p7), probabilities[0], 6);
        Assert.Equal(p7 / (p3 + p7), probabilities[1], 6);
        Assert.Equal(7, label);

        // x = (0, 0, 0): class 3 logit 0.5, class 7 logit 0.45 → class 3 wins (a plain 2-class ensemble would say 7: its score is > 0).
        (probabilities, label) = RunClassifier(model, [0f, 0f, 0f]);
        p7 = 1 / (1 + Math.Exp(-0.45));
        Assert.Equal(p3 / (p3 + p7), probabilities[0], 6);
        Assert.Equal(3, label);
    }

    [Fact]
    public void The_files_use_the_python_pipelines_names_and_shapes()
    {
        byte[] classifier = OnnxModelWriter.BinaryClassifier(new ScoreEnsemble([Stump], 1, 0), featureCount: 3, "test");
        using var session = new InferenceSession(classifier);
        Assert.Equal(["input"], session.InputNames);
        Assert.Equal([-1, 3], session.InputMetadata["input"].Dimensions);
        Assert.Equal(["output", "probabilities"], session.OutputNames);
        Assert.Equal([-1, 2], session.OutputMetadata["probabilities"].Dimensions);

        using var regressor = new InferenceSession(OnnxModelWriter.Regressor(new ScoreEnsemble([Stump], 1, 0), featureCount: 3, "test"));
        Assert.Equal(["output"], regressor.OutputNames);
        Assert.Equal([-1, 1], regressor.OutputMetadata["output"].Dimensions);
    }

    private static (float[] Probabilities, long Label) RunClassifier(byte[] model, float[] row)
    {
        using var session = new InferenceSession(model);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(row, [1, row.Length]);
        using var options = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(options, ["input"], [input], ["probabilities", "output"]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<long>()[0]);
    }

    private static double RunRegressor(byte[] model, float[] row)
    {
        using var session = new InferenceSession(model);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(row, [1, row.Length]);
        using var options = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(options, ["input"], [input], ["output"]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }
}
