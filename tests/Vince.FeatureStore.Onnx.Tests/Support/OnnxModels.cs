using Google.Protobuf;
using Vince.FeatureStore.Onnx.Model.Proto;

namespace Vince.FeatureStore.Onnx.Tests.Support;

/// <summary>A node of a hand-written gradient-boosted tree.</summary>
public abstract record TreeNode;

/// <summary>XGBoost's numerical split: <c>x[Feature] &lt; Threshold</c> goes to <see cref="Yes"/> (missing values too).</summary>
public sealed record Split(int Feature, float Threshold, TreeNode Yes, TreeNode No) : TreeNode;

/// <summary>A leaf: its value is added to the margin.</summary>
public sealed record Leaf(float Value) : TreeNode;

/// <summary>
/// Builds real ONNX models as protobuf messages (the repository's one ONNX schema subset, onnx_subset.proto:
/// the Onnx package's internal types here, a linked copy in the test projects that cannot see them), and
/// evaluates the tree models independently for expected values.
/// </summary>
internal static class OnnxModels
{
    private const string MlDomain = "ai.onnx.ml";

    /// <summary>
    /// A binary XGBoost classifier exactly as onnxmltools (opset 12, ai.onnx.ml 1) exports it: one
    /// TreeEnsembleClassifier node reading <c>input</c> float [N, F] and writing <c>label</c> int64 [N] and
    /// <c>probabilities</c> float [N, 2]; BRANCH_LT splits with the missing value on the "yes" side, preorder node
    /// ids, all class ids 0, post_transform LOGISTIC, classlabels [0, 1], and base_values = logit(base_score) when
    /// base_score is not 0.5.
    /// </summary>
    public static ModelProto XgboostClassifier(IReadOnlyList<TreeNode> trees, int features, double baseScore = 0.5)
    {
        NodeProto node = TreeEnsembleNode(trees, baseScore, ["input"], ["label", "probabilities"]);
        return Model(
            [node],
            inputs: [Tensor("input", 1, Dynamic, features)],
            outputs: [Tensor("label", 7, Dynamic), Tensor("probabilities", 1, Dynamic, 2)],
            initializers: [],
            opsets: [("", 12), (MlDomain, 1)],
            producer: "OnnxMLTools");
    }

    /// <summary>What the Python training script writes: the XGBoost export with only the declared output 0 renamed to <c>output</c>.</summary>
    public static ModelProto WithRenamedOutput(ModelProto model)
    {
        ModelProto broken = model.Clone();
        broken.Graph.Output[0].Name = "output";
        return broken;
    }

    /// <summary>The same trees with a ZipMap after the classifier (skl2onnx's layout): <c>output_label</c> and <c>output_probability</c>, a sequence of maps int64 → float.</summary>
    public static ModelProto ZipMapClassifier(IReadOnlyList<TreeNode> trees, int features, double baseScore = 0.5)
    {
        NodeProto classifier = TreeEnsembleNode(trees, baseScore, ["input"], ["output_label", "probability_tensor"]);
        var zipMap = new NodeProto { Name = "ZipMap", OpType = "ZipMap", Domain = MlDomain, Input = { "probability_tensor" }, Output = { "output_probability" } };
        zipMap.Attribute.Add(Ints("classlabels_int64s", [0, 1]));
        var sequenceOfMaps = new ValueInfoProto
        {
            Name = "output_probability",
            Type = new TypeProto
            {
                SequenceType = new TypeProto.Types.Sequence
                {
                    ElemType = new TypeProto
                    {
                        MapType = new TypeProto.Types.Map
                        {
                            KeyType = 7,
                            ValueType = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } },
                        },
                    },
                },
            },
        };
        return Model(
            [classifier, zipMap],
            inputs: [Tensor("input", 1, Dynamic, features)],
            outputs: [Tensor("output_label", 7, Dynamic), sequenceOfMaps],
            initializers: [],
            opsets: [("", 12), (MlDomain, 1)],
            producer: "skl2onnx");
    }

    /// <summary>Only the int64 label is declared as an output (the probabilities are computed but not exposed).</summary>
    public static ModelProto LabelOnlyClassifier(IReadOnlyList<TreeNode> trees, int features)
    {
        NodeProto node = TreeEnsembleNode(trees, 0.5, ["input"], ["label", "probabilities"]);
        return Model([node], [Tensor("input", 1, Dynamic, features)], [Tensor("label", 7, Dynamic)], [], [("", 12), (MlDomain, 1)], "OnnxMLTools");
    }

    /// <summary>Logistic regression as MatMul + Add + Sigmoid: <c>probability</c> float [N, 1], or [N] when <paramref name="squeeze"/>.</summary>
    public static ModelProto LogisticRegression(float[] weights, float bias, bool squeeze = false)
    {
        var w = new TensorProto { Name = "W", DataType = 1, Dims = { weights.Length, 1 } };
        w.FloatData.Add(weights);
        var b = new TensorProto { Name = "B", DataType = 1, Dims = { 1 }, FloatData = { bias } };
        var nodes = new List<NodeProto>
        {
            new() { Name = "MatMul", OpType = "MatMul", Input = { "input", "W" }, Output = { "z0" } },
            new() { Name = "Add", OpType = "Add", Input = { "z0", "B" }, Output = { "z" } },
            new() { Name = "Sigmoid", OpType = "Sigmoid", Input = { "z" }, Output = { squeeze ? "p2" : "probability" } },
        };
        if (squeeze)
        {
            var node = new NodeProto { Name = "Squeeze", OpType = "Squeeze", Input = { "p2" }, Output = { "probability" } };
            node.Attribute.Add(Ints("axes", [1]));
            nodes.Add(node);
        }

        return Model(
            nodes,
            inputs: [Tensor("input", 1, Dynamic, weights.Length)],
            outputs: [squeeze ? Tensor("probability", 1, Dynamic) : Tensor("probability", 1, Dynamic, 1)],
            initializers: [w, b],
            opsets: [("", 12)],
            producer: "vince-tests");
    }

    /// <summary>XGBoost's margin: base margin plus the leaf each tree reaches, walking the splits by hand.</summary>
    public static double Margin(IReadOnlyList<TreeNode> trees, float[] x, double baseScore = 0.5)
    {
        double margin = Math.Log(baseScore / (1 - baseScore));
        foreach (TreeNode tree in trees)
        {
            TreeNode node = tree;
            while (node is Split split)
            {
                node = x[split.Feature] < split.Threshold ? split.Yes : split.No;
            }

            margin += ((Leaf)node).Value;
        }

        return margin;
    }

    /// <summary>P(class 1) of the binary XGBoost model: the logistic function of <see cref="Margin"/>.</summary>
    public static double Probability(IReadOnlyList<TreeNode> trees, float[] x, double baseScore = 0.5)
        => 1 / (1 + Math.Exp(-Margin(trees, x, baseScore)));

    /// <summary>Writes the model file.</summary>
    public static void Save(ModelProto model, string path) => File.WriteAllBytes(path, model.ToByteArray());

    private const long Dynamic = -1;

    private static NodeProto TreeEnsembleNode(IReadOnlyList<TreeNode> trees, double baseScore, string[] inputs, string[] outputs)
    {
        var treeIds = new List<long>();
        var nodeIds = new List<long>();
        var featureIds = new List<long>();
        var modes = new List<string>();
        var values = new List<float>();
        var trueIds = new List<long>();
        var falseIds = new List<long>();
        var missingTrue = new List<long>();
        var classTreeIds = new List<long>();
        var classNodeIds = new List<long>();
        var classIds = new List<long>();
        var classWeights = new List<float>();
        for (int t = 0; t < trees.Count; t++)
        {
            // onnxmltools numbers the nodes of a tree in preorder (node, yes subtree, no subtree).
            var ids = new Dictionary<TreeNode, long>(ReferenceEqualityComparer.Instance);
            Number(trees[t], ids);
            Emit(trees[t]);

            void Emit(TreeNode node)
            {
                treeIds.Add(t);
                nodeIds.Add(ids[node]);
                if (node is Split split)
                {
                    featureIds.Add(split.Feature);
                    modes.Add("BRANCH_LT");
                    values.Add(split.Threshold);
                    trueIds.Add(ids[split.Yes]);
                    falseIds.Add(ids[split.No]);
                    missingTrue.Add(1);
                    Emit(split.Yes);
                    Emit(split.No);
                }
                else
                {
                    featureIds.Add(0);
                    modes.Add("LEAF");
                    values.Add(0);
                    trueIds.Add(0);
                    falseIds.Add(0);
                    missingTrue.Add(0);
                    classTreeIds.Add(t);
                    classNodeIds.Add(ids[node]);
                    classIds.Add(0);
                    classWeights.Add(((Leaf)node).Value);
                }
            }
        }

        var result = new NodeProto { Name = "TreeEnsembleClassifier", OpType = "TreeEnsembleClassifier", Domain = MlDomain };
        result.Input.Add(inputs);
        result.Output.Add(outputs);
        result.Attribute.Add(Ints("nodes_treeids", treeIds));
        result.Attribute.Add(Ints("nodes_nodeids", nodeIds));
        result.Attribute.Add(Ints("nodes_featureids", featureIds));
        result.Attribute.Add(Strings("nodes_modes", modes));
        result.Attribute.Add(Floats("nodes_values", values));
        result.Attribute.Add(Ints("nodes_truenodeids", trueIds));
        result.Attribute.Add(Ints("nodes_falsenodeids", falseIds));
        result.Attribute.Add(Ints("nodes_missing_value_tracks_true", missingTrue));
        result.Attribute.Add(Ints("class_treeids", classTreeIds));
        result.Attribute.Add(Ints("class_nodeids", classNodeIds));
        result.Attribute.Add(Ints("class_ids", classIds));
        result.Attribute.Add(Floats("class_weights", classWeights));
        result.Attribute.Add(String("post_transform", "LOGISTIC"));
        result.Attribute.Add(Ints("classlabels_int64s", [0, 1]));
        if (baseScore != 0.5)
        {
            result.Attribute.Add(Floats("base_values", [(float)-Math.Log((1 / (float)baseScore) - 1.0)]));
        }

        return result;
    }

    private static void Number(TreeNode node, Dictionary<TreeNode, long> ids)
    {
        ids[node] = ids.Count;
        if (node is Split split)
        {
            Number(split.Yes, ids);
            Number(split.No, ids);
        }
    }

    private static ModelProto Model(IEnumerable<NodeProto> nodes, IEnumerable<ValueInfoProto> inputs, IEnumerable<ValueInfoProto> outputs,
        IEnumerable<TensorProto> initializers, IEnumerable<(string Domain, long Version)> opsets, string producer)
    {
        var graph = new GraphProto { Name = "model" };
        graph.Node.Add(nodes);
        graph.Input.Add(inputs);
        graph.Output.Add(outputs);
        graph.Initializer.Add(initializers);
        var model = new ModelProto { IrVersion = 7, ProducerName = producer, ProducerVersion = "1.0", Graph = graph };
        foreach ((string domain, long version) in opsets)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        }

        return model;
    }

    private static ValueInfoProto Tensor(string name, int elementType, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims)
        {
            shape.Dim.Add(dim < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = dim });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } } };
    }

    private static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    private static AttributeProto Floats(string name, IEnumerable<float> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        attribute.Floats.Add(values);
        return attribute;
    }

    private static AttributeProto Strings(string name, IEnumerable<string> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.Add(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    private static AttributeProto String(string name, string value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}
