using System.Globalization;
using System.Text;
using Google.Protobuf;
using Vince.FeatureStore.Onnx.Model.Proto;

namespace Vince.FeatureStore.Onnx.Model;

/// <summary>What the scorer knows about one float output of a prepared model.</summary>
/// <param name="PositiveColumn">The column of class 1 in a class-probability output, or -1 when unknown.</param>
/// <param name="ClassCount">The number of classes, or 0 when unknown.</param>
/// <param name="Labels">The class labels in column order, as the classifier or ZipMap names them.</param>
internal readonly record struct OutputHint(int PositiveColumn, int ClassCount, IReadOnlyList<string>? Labels = null);

/// <summary>A model file made loadable by ONNX Runtime, with the repairs applied and what they say about its outputs.</summary>
/// <param name="Bytes">The model to load (the file's bytes when nothing was repaired).</param>
/// <param name="Repairs">One sentence per change made, for the log.</param>
/// <param name="Hints">Per float output name.</param>
internal sealed record PreparedModel(byte[] Bytes, IReadOnlyList<string> Repairs, IReadOnlyDictionary<string, OutputHint> Hints);

/// <summary>
/// Reads the ONNX ModelProto and applies the repairs a scorer needs, leaving everything else untouched
/// (fields it does not read are kept as unknown protobuf fields and written back unchanged):
/// <list type="bullet">
/// <item>The training script renames only the graph's declared output 0 to <c>output</c> while the node still
/// writes <c>label</c> (FORMATS.md §7), which ONNX Runtime refuses. A declared output that no node produces is
/// mapped back to the node output it replaced: the one output no node consumes and no declared output names.
/// Several missing outputs, or several such node outputs, are an error rather than a guess.</item>
/// <item>A <c>ZipMap</c> output (a sequence of maps, which ONNX Runtime allocates on every call) is replaced by the
/// probability tensor the ZipMap reads, and the column of class 1 is taken from the ZipMap's labels.</item>
/// </list>
/// </summary>
internal static class OnnxModelPreparer
{
    private const string MlDomain = "ai.onnx.ml";

    public static PreparedModel Prepare(byte[] bytes, string path)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxModelLoadException(path, $"{path} is not an ONNX model: {ex.Message}", ex);
        }

        if (model.Graph is not { } graph || graph.Node.Count == 0 || graph.Output.Count == 0 || graph.Input.Count == 0)
        {
            throw new OnnxModelLoadException(path, $"{path} is not an ONNX model: it has no graph with inputs, nodes and outputs ({bytes.Length} bytes).");
        }

        var repairs = new List<string>();
        var hints = new Dictionary<string, OutputHint>(StringComparer.Ordinal);
        bool changed = RepairRenamedOutputs(graph, path, repairs);
        InspectTreeEnsembles(graph, hints);
        changed |= BypassZipMaps(graph, hints, repairs);
        return new PreparedModel(changed ? model.ToByteArray() : bytes, repairs, hints);
    }

    private static bool RepairRenamedOutputs(GraphProto graph, string path, List<string> repairs)
    {
        var produced = new HashSet<string>(StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            produced.UnionWith(node.Output);
            consumed.UnionWith(node.Input);
        }

        produced.UnionWith(graph.Input.Select(i => i.Name));
        produced.UnionWith(graph.Initializer.Select(i => i.Name));

        var missing = graph.Output.Where(o => !produced.Contains(o.Name)).ToList();
        if (missing.Count == 0)
        {
            return false;
        }

        var declared = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var dangling = new List<(string Output, NodeProto Node)>();
        foreach (NodeProto node in graph.Node)
        {
            foreach (string output in node.Output)
            {
                if (output.Length > 0 && !consumed.Contains(output) && !declared.Contains(output))
                {
                    dangling.Add((output, node));
                }
            }
        }

        // The script's defect is exactly one renamed output; anything else would be a guess.
        if (missing.Count != 1 || dangling.Count != 1)
        {
            throw new OnnxModelLoadException(path,
                $"{path} declares graph output(s) {Quote(missing.Select(m => m.Name))} that no node produces, and they cannot be mapped back " +
                $"unambiguously: {dangling.Count} node output(s) are neither consumed nor declared ({Quote(dangling.Select(d => d.Output))}).");
        }

        string declaredName = missing[0].Name;
        (string nodeOutput, NodeProto producer) = dangling[0];
        missing[0].Name = nodeOutput;
        repairs.Add($"graph output '{declaredName}' is not produced by any node (ONNX Runtime refuses such a file); mapped it back to " +
            $"'{nodeOutput}', the unused output of the {producer.OpType} node{NodeName(producer)}");
        return true;
    }

    /// <summary>Records, for each classifier's probability tensor, which column is class 1.</summary>
    private static void InspectTreeEnsembles(GraphProto graph, Dictionary<string, OutputHint> hints)
    {
        foreach (NodeProto node in graph.Node)
        {
            if (node.OpType == "TreeEnsembleClassifier" && node.Domain == MlDomain && node.Output.Count >= 2)
            {
                List<string> labels = ClassLabels(node);
                hints[node.Output[1]] = new OutputHint(PositiveIndex(labels), labels.Count, labels);
            }
        }
    }

    private static bool BypassZipMaps(GraphProto graph, Dictionary<string, OutputHint> hints, List<string> repairs)
    {
        bool changed = false;
        for (int o = graph.Output.Count - 1; o >= 0; o--)
        {
            ValueInfoProto output = graph.Output[o];
            NodeProto? zipMap = graph.Node.FirstOrDefault(n => n.OpType == "ZipMap" && n.Domain == MlDomain && n.Output.Contains(output.Name));
            if (zipMap is null || zipMap.Input.Count != 1 || graph.Node.Any(n => n.Input.Contains(output.Name)))
            {
                continue;
            }

            string tensor = zipMap.Input[0];
            List<string> labels = ClassLabels(zipMap);
            int positive = PositiveIndex(labels);
            hints[tensor] = new OutputHint(positive, labels.Count, labels);
            if (graph.Output.Any(d => d.Name == tensor))
            {
                graph.Output.RemoveAt(o);
            }
            else
            {
                output.Name = tensor;
                output.Type = new TypeProto
                {
                    TensorType = new TypeProto.Types.Tensor
                    {
                        ElemType = 1, // FLOAT
                        Shape = new TensorShapeProto
                        {
                            Dim =
                            {
                                new TensorShapeProto.Types.Dimension { DimParam = "N" },
                                labels.Count > 0 ? new TensorShapeProto.Types.Dimension { DimValue = labels.Count } : new TensorShapeProto.Types.Dimension(),
                            },
                        },
                    },
                };
            }

            graph.Node.Remove(zipMap);
            changed = true;
            repairs.Add($"ZipMap output '{zipMap.Output[0]}' (a sequence of maps) replaced by the tensor it reads, '{tensor}' " +
                $"[N, {labels.Count}]; class {(positive >= 0 ? labels[positive] : "?")} is column {positive}");
        }

        return changed;
    }

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static List<string> ClassLabels(NodeProto node)
    {
        if (Attribute(node, "classlabels_int64s") is { Ints.Count: > 0 } ints)
        {
            return ints.Ints.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        }

        if (Attribute(node, "classlabels_strings") is { Strings.Count: > 0 } strings)
        {
            return strings.Strings.Select(s => s.ToStringUtf8()).ToList();
        }

        return [];
    }

    /// <summary>The index of the positive class ("profitable"): label 1, "1" or "true"; for two unnamed classes, 1.</summary>
    private static int PositiveIndex(List<string> labels)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels[i] == "1" || string.Equals(labels[i], "true", StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return labels.Count == 2 ? 1 : -1;
    }

    private static string NodeName(NodeProto node) => node.Name.Length > 0 ? $" '{node.Name}'" : "";

    private static string Quote(IEnumerable<string> names)
    {
        var builder = new StringBuilder();
        foreach (string name in names)
        {
            builder.Append(builder.Length == 0 ? "" : ", ").Append('\'').Append(name).Append('\'');
        }

        return builder.Length == 0 ? "none" : builder.ToString();
    }
}
