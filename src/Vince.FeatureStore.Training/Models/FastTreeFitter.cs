using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Vince.FeatureStore.Training.Models;

/// <summary>
/// Fits ML.NET FastTree models on in-memory rows and reads their trees back as <see cref="ScoreEnsemble"/>s, the form the
/// ONNX export writes. Categorical splits are turned off: every split is "feature ≤ threshold", which ONNX's
/// <c>BRANCH_LEQ</c> expresses exactly.
/// </summary>
internal sealed class FastTreeFitter
{
    private readonly DotnetTrainerOptions _options;
    private readonly MLContext _ml;
    private readonly CancellationToken _cancellationToken;

    public FastTreeFitter(DotnetTrainerOptions options, CancellationToken cancellationToken)
    {
        _options = options;
        _cancellationToken = cancellationToken;
        _ml = new MLContext(options.Seed);
    }

    public MLContext Context => _ml;

    /// <summary>A binary classifier (labels 0/1). Its probability is ML.NET's: FastTree's fixed Platt map of the score.</summary>
    public FittedModel FitBinary(IReadOnlyList<float[]> rows, IReadOnlyList<double> labels, int featureCount)
    {
        IDataView data = Load(rows.Select((r, i) => new BinaryRow { Features = r, Label = labels[i] > 0.5 }), featureCount);
        var trainer = _ml.BinaryClassification.Trainers.FastTree(Tune(new FastTreeBinaryTrainer.Options()));
        var transformer = trainer.Fit(data);
        CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator> model = transformer.Model;

        // ML.NET: p = 1 / (1 + exp(slope · score + offset)), so the logit ONNX Runtime's LOGISTIC needs is −(slope · score + offset).
        var ensemble = Read(model.SubModel.TrainedTreeEnsemble, -model.Calibrator.Slope, -model.Calibrator.Offset);
        return new FittedModel([transformer], data.Schema, [ensemble], Importances(model.SubModel, featureCount), featureCount)
        {
            Predict = input => _ml.Data.CreateEnumerable<BinaryPrediction>(transformer.Transform(Load(input, featureCount)), false)
                .Select(p => new[] { p.Probability }).ToList(),
        };
    }

    /// <summary>A regressor; <paramref name="offset"/> is added to ML.NET's prediction (and to the ONNX base value).</summary>
    public FittedModel FitRegression(IReadOnlyList<float[]> rows, IReadOnlyList<double> labels, int featureCount, double offset = 0)
    {
        IDataView data = Load(rows.Select((r, i) => new RegressionRow { Features = r, Label = (float)labels[i] }), featureCount);
        var trainer = _ml.Regression.Trainers.FastTree(Tune(new FastTreeRegressionTrainer.Options()));
        var transformer = trainer.Fit(data);
        FastTreeRegressionModelParameters model = transformer.Model;
        var ensemble = Read(model.TrainedTreeEnsemble, 1, offset);
        return new FittedModel([transformer], data.Schema, [ensemble], Importances(model, featureCount), featureCount)
        {
            Predict = input => _ml.Data.CreateEnumerable<RegressionPrediction>(transformer.Transform(Load(input, featureCount)), false)
                .Select(p => new[] { (float)(p.Score + offset) }).ToList(),
        };
    }

    /// <summary>
    /// A one-versus-all classifier over classes <c>0..classCount−1</c>: one FastTree binary model per class (class c
    /// against the rest), each with FastTree's Platt map, and the class probabilities normalised to sum to one — what
    /// ML.NET's <c>OneVersusAll</c> trainer computes with probabilities. The per-class models are fitted here rather than
    /// through that trainer because its model does not expose its sub-models (whose trees the export needs).
    /// </summary>
    public FittedModel FitOneVersusAll(IReadOnlyList<float[]> rows, IReadOnlyList<int> classes, int classCount, int featureCount)
    {
        var perClass = new List<FittedModel>(classCount);
        for (int c = 0; c < classCount; c++)
        {
            int positive = c;
            perClass.Add(FitBinary(rows, classes.Select(k => k == positive ? 1.0 : 0.0).ToList(), featureCount));
        }

        double[] importances = new double[featureCount];
        foreach (FittedModel model in perClass)
        {
            for (int f = 0; f < featureCount; f++)
            {
                importances[f] += model.Importances[f] / classCount;
            }
        }

        return new FittedModel(perClass.SelectMany(m => m.Transformers).ToList(), perClass[0].InputSchema, perClass.SelectMany(m => m.Ensembles).ToList(), importances, featureCount)
        {
            Predict = input =>
            {
                List<float[]>[] probabilities = perClass.Select(m => m.Predict(input)).ToArray();
                var result = new List<float[]>(input.Count);
                for (int i = 0; i < input.Count; i++)
                {
                    float[] row = new float[classCount];
                    double sum = 0;
                    for (int c = 0; c < classCount; c++)
                    {
                        row[c] = Math.Max(0, probabilities[c][i][0]);
                        sum += row[c];
                    }

                    for (int c = 0; c < classCount && sum > 0; c++)
                    {
                        row[c] = (float)(row[c] / sum);
                    }

                    result.Add(row);
                }

                return result;
            },
        };
    }

    private T Tune<T>(T options)
        where T : BoostedTreeOptions
    {
        _cancellationToken.ThrowIfCancellationRequested();
        options.NumberOfTrees = _options.NumberOfTrees;
        options.NumberOfLeaves = _options.NumberOfLeaves;
        options.MinimumExampleCountPerLeaf = _options.MinimumExampleCountPerLeaf;
        options.LearningRate = _options.LearningRate;
        options.Seed = _options.Seed;
        options.FeatureSelectionSeed = _options.Seed;
        options.NumberOfThreads = _options.NumberOfThreads;
        options.CategoricalSplit = false;
        options.FeatureColumnName = "Features";
        options.LabelColumnName = "Label";
        return options;
    }

    private IDataView Load<TRow>(IEnumerable<TRow> rows, int featureCount)
        where TRow : class
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(TRow));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return _ml.Data.LoadFromEnumerable(rows, schema);
    }

    private IDataView Load(IReadOnlyList<float[]> rows, int featureCount) => Load(rows.Select(r => new FeatureRow { Features = r }), featureCount);

    /// <summary>Reads ML.NET's trees. Its prediction is the plain sum of the trees' leaf values (tree weights and bias are not applied).</summary>
    private static ScoreEnsemble Read(RegressionTreeEnsemble ensemble, double leafScale, double baseValue)
    {
        var trees = new List<ExportTree>(ensemble.Trees.Count);
        foreach (RegressionTree tree in ensemble.Trees)
        {
            if (tree.CategoricalSplitFlags.Any(c => c))
            {
                throw new InvalidOperationException("A FastTree tree has a categorical split, which the ONNX export does not support.");
            }

            trees.Add(new ExportTree(
                tree.LeftChild.ToArray(),
                tree.RightChild.ToArray(),
                tree.NumericalSplitFeatureIndexes.ToArray(),
                tree.NumericalSplitThresholds.ToArray(),
                tree.LeafValues.ToArray()));
        }

        return new ScoreEnsemble(trees, leafScale, baseValue);
    }

    /// <summary>FastTree's split-gain importance per feature, normalised to sum to 1 (like XGBoost's <c>feature_importances_</c>).</summary>
    private static double[] Importances(TreeEnsembleModelParameters model, int featureCount)
    {
        VBuffer<float> weights = default;
        model.GetFeatureWeights(ref weights);
        double[] dense = new double[featureCount];
        foreach ((int index, float value) in weights.Items())
        {
            if (index < featureCount)
            {
                dense[index] = value;
            }
        }

        double total = dense.Sum();
        return total > 0 ? dense.Select(v => v / total).ToArray() : dense;
    }

    private sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class BinaryRow
    {
        public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    private sealed class RegressionRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    private sealed class BinaryPrediction
    {
        public float Probability { get; set; }
    }

    private sealed class RegressionPrediction
    {
        public float Score { get; set; }
    }

}

/// <summary>A fitted ML.NET model with its trees in export form.</summary>
/// <param name="Transformers">The ML.NET transformers, one per ensemble (saved as <c>.mlnet.zip</c> on request).</param>
/// <param name="InputSchema">The schema the transformer was fitted on.</param>
/// <param name="Ensembles">One ensemble, or one per class.</param>
/// <param name="Importances">Importance per input column, summing to 1 (or all 0).</param>
/// <param name="FeatureCount">Input width.</param>
internal sealed record FittedModel(IReadOnlyList<ITransformer> Transformers, DataViewSchema InputSchema, IReadOnlyList<ScoreEnsemble> Ensembles, double[] Importances, int FeatureCount)
{
    /// <summary>ML.NET's own prediction of each row: [P(1)] (binary), [value] (regression) or class probabilities.</summary>
    public required Func<IReadOnlyList<float[]>, List<float[]>> Predict { get; init; }
}
