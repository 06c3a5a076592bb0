using System.Reflection;
using Google.Protobuf;
using Vince.FeatureStore.Training.Models;
using Vince.FeatureStore.Onnx.Model.Proto;

namespace Vince.FeatureStore.Training.Onnx;

/// <summary>
/// Writes tree ensembles as ONNX models in the I/O layout of the Python pipeline (onnxmltools, opset 12): one input
/// <c>input</c> float [N, F]; classifiers output <c>output</c> (int64 label [N]) and <c>probabilities</c> (float [N, C]);
/// regressors output <c>output</c> (float [N, 1]). Only attributes of <c>ai.onnx.ml</c> opset 1 are used, so older
/// ONNX Runtime builds (such as the one of the TypeScript bot) load the files too.
/// </summary>
/// <remarks>
/// ONNX Runtime evaluates tree ensembles on float input with float thresholds and float leaf weights, accumulating
/// in float; ML.NET accumulates the same leaf values in double. The two agree to about 1e-6 (the trainer checks
/// every exported file against ML.NET before it writes the metadata).
/// </remarks>
internal static class OnnxModelWriter
{
    public const string InputName = "input";
    public const string LabelOutput = "output";
    public const string ProbabilityOutput = "probabilities";
    public const string RegressionOutput = "output";

    private const string MlDomain = "ai.onnx.ml";
    private const int FloatType = 1;
    private const int Int64Type = 7;

    /// <summary>
    /// A binary classifier laid out as onnxmltools writes XGBoost's: one ensemble for class 0 with a LOGISTIC post
    /// transform, which ONNX Runtime turns into <c>[1 − p, p]</c> with <c>p = logistic(score)</c>, so column 1 is
    /// P(label 1) — the column the scorer reads.
    /// </summary>
    public static byte[] BinaryClassifier(ScoreEnsemble ensemble, int featureCount, string modelName)
    {
        // ONNX Runtime skips the logistic transform of a binary ensemble whose weights are all ≥ 0 (it then reads the
        // sum as a probability). Moving a constant from the first tree's leaves into the base value keeps every sum
        // equal and gives the node a negative weight.
        IReadOnlyList<ExportTree> list = ensemble.Trees.Count > 0 ? ensemble.Trees : [EmptyTree];
        double shift = 0;
        if (!list.Any(t => Weights(t, ensemble.LeafScale).Any(w => w < 0)))
        {
            shift = Weights(list[0], ensemble.LeafScale).Min() + 1;
        }

        var trees = new TreeAttributes();
        for (int i = 0; i < list.Count; i++)
        {
            trees.AddTree(i, targetId: 0, list[i], ensemble.LeafScale, i == 0 ? -shift : 0);
        }

        NodeProto node = trees.ToNode("TreeEnsembleClassifier", "TreeEnsembleClassifier", [InputName], [LabelOutput, ProbabilityOutput], "class");
        node.Attribute.Add(Ints("classlabels_int64s", [0, 1]));
        node.Attribute.Add(String("post_transform", "LOGISTIC"));
        node.Attribute.Add(Floats("base_values", [(float)(ensemble.Base + shift)]));

        GraphProto graph = Graph(modelName, featureCount, [node]);
        graph.Output.Add(Tensor(LabelOutput, Int64Type, Dim("N")));
        graph.Output.Add(Tensor(ProbabilityOutput, FloatType, Dim("N"), Dim(2)));
        return Model(graph, modelName);
    }

    /// <summary>
    /// A one-versus-all classifier: one ensemble per class, each class's probability the logistic of its sum, normalised to
    /// sum to one, and the label of the most probable class — what ML.NET's one-versus-all model with probability
    /// normalisation predicts. The per-class sums come from a multi-target <c>TreeEnsembleRegressor</c> (one target per
    /// class) followed by <c>Sigmoid</c>: a two-class <c>TreeEnsembleClassifier</c> is special-cased by ONNX Runtime as a
    /// binary model and ignores the second class's trees, so it cannot carry two independent ensembles.
    /// </summary>
    public static byte[] OneVersusAllClassifier(IReadOnlyList<ScoreEnsemble> perClass, IReadOnlyList<long> classLabels, int featureCount, string modelName)
    {
        if (perClass.Count != classLabels.Count || perClass.Count < 2)
        {
            throw new ArgumentException($"One ensemble per class is needed ({perClass.Count} ensembles, {classLabels.Count} classes).", nameof(perClass));
        }

        var trees = new TreeAttributes();
        int treeId = 0;
        for (int c = 0; c < perClass.Count; c++)
        {
            foreach (ExportTree tree in perClass[c].Trees.Count > 0 ? perClass[c].Trees : [EmptyTree])
            {
                trees.AddTree(treeId++, c, tree, perClass[c].LeafScale, 0);
            }
        }

        NodeProto ensemble = trees.ToNode("TreeEnsembleRegressor", "OneVersusAllTrees", [InputName], ["class_logits"], "target");
        ensemble.Attribute.Add(Int("n_targets", perClass.Count));
        ensemble.Attribute.Add(String("aggregate_function", "SUM"));
        ensemble.Attribute.Add(String("post_transform", "NONE"));
        ensemble.Attribute.Add(Floats("base_values", perClass.Select(e => (float)e.Base).ToList()));

        var sigmoid = new NodeProto { OpType = "Sigmoid", Name = "ClassProbabilities", Input = { "class_logits" }, Output = { "class_scores" } };
        var reduce = new NodeProto { OpType = "ReduceSum", Name = "SumOfClassScores", Input = { "class_scores" }, Output = { "class_score_total" } };
        reduce.Attribute.Add(Ints("axes", [1]));
        reduce.Attribute.Add(Int("keepdims", 1));
        var divide = new NodeProto { OpType = "Div", Name = "NormaliseClassScores", Input = { "class_scores", "class_score_total" }, Output = { ProbabilityOutput } };
        var argMax = new NodeProto { OpType = "ArgMax", Name = "MostProbableClass", Input = { ProbabilityOutput }, Output = { "class_index" } };
        argMax.Attribute.Add(Int("axis", 1));
        argMax.Attribute.Add(Int("keepdims", 0));
        var gather = new NodeProto { OpType = "Gather", Name = "ClassLabel", Input = { "class_labels", "class_index" }, Output = { LabelOutput } };
        gather.Attribute.Add(Int("axis", 0));

        GraphProto graph = Graph(modelName, featureCount, [ensemble, sigmoid, reduce, divide, argMax, gather]);
        var labels = new TensorProto { Name = "class_labels", DataType = Int64Type, Dims = { classLabels.Count } };
        labels.Int64Data.AddRange(classLabels);
        graph.Initializer.Add(labels);
        graph.Output.Add(Tensor(LabelOutput, Int64Type, Dim("N")));
        graph.Output.Add(Tensor(ProbabilityOutput, FloatType, Dim("N"), Dim(classLabels.Count)));
        return Model(graph, modelName);
    }

    /// <summary>A regressor: the ensemble's sum plus its base value, float [N, 1].</summary>
    public static byte[] Regressor(ScoreEnsemble ensemble, int featureCount, string modelName)
    {
        var trees = new TreeAttributes();
        int treeId = 0;
        foreach (ExportTree tree in ensemble.Trees.Count > 0 ? ensemble.Trees : [EmptyTree])
        {
            trees.AddTree(treeId++, 0, tree, ensemble.LeafScale, 0);
        }

        NodeProto node = trees.ToNode("TreeEnsembleRegressor", "TreeEnsembleRegressor", [InputName], [RegressionOutput], "target");
        node.Attribute.Add(Int("n_targets", 1));
        node.Attribute.Add(String("aggregate_function", "SUM"));
        node.Attribute.Add(String("post_transform", "NONE"));
        node.Attribute.Add(Floats("base_values", [(float)ensemble.Base]));

        GraphProto graph = Graph(modelName, featureCount, [node]);
        graph.Output.Add(Tensor(RegressionOutput, FloatType, Dim("N"), Dim(1)));
        return Model(graph, modelName);
    }

    private static GraphProto Graph(string modelName, int featureCount, IEnumerable<NodeProto> nodes)
    {
        var graph = new GraphProto { Name = modelName };
        graph.Node.AddRange(nodes);
        graph.Input.Add(Tensor(InputName, FloatType, Dim("N"), Dim(featureCount)));
        return graph;
    }

    private static byte[] Model(GraphProto graph, string modelName)
    {
        var model = new ModelProto
        {
            IrVersion = 7,
            ProducerName = "Vince.FeatureStore.Training",
            ProducerVersion = typeof(OnnxModelWriter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            Domain = "vince.featurestore",
            ModelVersion = 1,
            DocString = $"{modelName}: ML.NET FastTree ensemble exported by Vince.FeatureStore.Training",
            Graph = graph,
            OpsetImport =
            {
                new OperatorSetIdProto { Domain = "", Version = 12 },
                new OperatorSetIdProto { Domain = MlDomain, Version = 1 },
            },
        };
        model.MetadataProps.Add(new StringStringEntryProto { Key = "vince.model", Value = modelName });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "vince.trainer", Value = "dotnet" });
        return model.ToByteArray();
    }

    private static ValueInfoProto Tensor(string name, int elementType, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } } };
    }

    private static TensorShapeProto.Types.Dimension Dim(string name) => new() { DimParam = name };

    private static TensorShapeProto.Types.Dimension Dim(long value) => new() { DimValue = value };

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static AttributeProto Floats(string name, IEnumerable<float> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.AddRange(values);
        return attribute;
    }

    private static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static readonly ExportTree EmptyTree = new([], [], [], [], []);

    /// <summary>The leaf weights a tree contributes (one weight of 0 for an empty tree).</summary>
    private static IEnumerable<double> Weights(ExportTree tree, double leafScale) => tree.NodeCount == 0 ? [0.0] : tree.Leaves.Select(l => leafScale * l);

    /// <summary>The node and weight attributes of a tree ensemble, filled tree by tree.</summary>
    private sealed class TreeAttributes
    {
        private static readonly ByteString Leaf = ByteString.CopyFromUtf8("LEAF");
        private static readonly ByteString BranchLeq = ByteString.CopyFromUtf8("BRANCH_LEQ");

        private readonly List<long> _treeIds = [];
        private readonly List<long> _nodeIds = [];
        private readonly List<long> _featureIds = [];
        private readonly List<float> _values = [];
        private readonly List<ByteString> _modes = [];
        private readonly List<long> _trueIds = [];
        private readonly List<long> _falseIds = [];
        private readonly List<long> _weightTreeIds = [];
        private readonly List<long> _weightNodeIds = [];
        private readonly List<long> _weightIds = [];
        private readonly List<float> _weights = [];

        /// <summary>
        /// Adds one tree: internal node <c>n</c> keeps id <c>n</c>, leaf <c>l</c> gets id <c>N + l</c>; ML.NET's
        /// "≤ threshold goes left" is BRANCH_LEQ with the left child as the true branch. An empty tree becomes a single
        /// leaf of weight <paramref name="shift"/>.
        /// </summary>
        public void AddTree(long treeId, long targetId, ExportTree tree, double leafScale, double shift)
        {
            int nodes = tree.NodeCount;
            if (nodes == 0)
            {
                AddNode(treeId, 0, 0, 0, Leaf, 0, 0);
                AddWeight(treeId, 0, targetId, shift);
                return;
            }

            long LeafId(int child) => child >= 0 ? child : nodes + ~child;
            for (int n = 0; n < nodes; n++)
            {
                AddNode(treeId, n, tree.Feature[n], tree.Threshold[n], BranchLeq, LeafId(tree.Left[n]), LeafId(tree.Right[n]));
            }

            for (int l = 0; l < tree.Leaves.Length; l++)
            {
                AddNode(treeId, nodes + l, 0, 0, Leaf, 0, 0);
                AddWeight(treeId, nodes + l, targetId, (leafScale * tree.Leaves[l]) + shift);
            }
        }

        private void AddNode(long treeId, long nodeId, long feature, float value, ByteString mode, long trueId, long falseId)
        {
            _treeIds.Add(treeId);
            _nodeIds.Add(nodeId);
            _featureIds.Add(feature);
            _values.Add(value);
            _modes.Add(mode);
            _trueIds.Add(trueId);
            _falseIds.Add(falseId);
        }

        private void AddWeight(long treeId, long nodeId, long targetId, double weight)
        {
            _weightTreeIds.Add(treeId);
            _weightNodeIds.Add(nodeId);
            _weightIds.Add(targetId);
            _weights.Add((float)weight);
        }

        public NodeProto ToNode(string opType, string name, string[] inputs, string[] outputs, string weightPrefix)
        {
            var node = new NodeProto { OpType = opType, Domain = MlDomain, Name = name };
            node.Input.AddRange(inputs);
            node.Output.AddRange(outputs);
            node.Attribute.Add(Ints("nodes_treeids", _treeIds));
            node.Attribute.Add(Ints("nodes_nodeids", _nodeIds));
            node.Attribute.Add(Ints("nodes_featureids", _featureIds));
            node.Attribute.Add(Floats("nodes_values", _values));
            var modes = new AttributeProto { Name = "nodes_modes", Type = AttributeProto.Types.AttributeType.Strings };
            modes.Strings.AddRange(_modes);
            node.Attribute.Add(modes);
            node.Attribute.Add(Ints("nodes_truenodeids", _trueIds));
            node.Attribute.Add(Ints("nodes_falsenodeids", _falseIds));
            node.Attribute.Add(Ints("nodes_missing_value_tracks_true", _treeIds.Select(_ => 0L)));
            node.Attribute.Add(Ints(weightPrefix + "_treeids", _weightTreeIds));
            node.Attribute.Add(Ints(weightPrefix + "_nodeids", _weightNodeIds));
            node.Attribute.Add(Ints(weightPrefix + "_ids", _weightIds));
            node.Attribute.Add(Floats(weightPrefix + "_weights", _weights));
            return node;
        }
    }
}
