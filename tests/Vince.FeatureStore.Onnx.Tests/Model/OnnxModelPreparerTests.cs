using Google.Protobuf;
using Vince.FeatureStore.Onnx.Model;
using Vince.FeatureStore.Onnx.Model.Proto;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Model;

public sealed class OnnxModelPreparerTests
{
    [Fact]
    public void A_clean_file_is_loaded_byte_for_byte()
    {
        byte[] bytes = OnnxModels.XgboostClassifier(Trees, FeatureNames.Length).ToByteArray();

        PreparedModel prepared = OnnxModelPreparer.Prepare(bytes, "m.onnx");

        Assert.Same(bytes, prepared.Bytes);
        Assert.Empty(prepared.Repairs);
        OutputHint hint = prepared.Hints["probabilities"];
        Assert.Equal((1, 2), (hint.PositiveColumn, hint.ClassCount));
        Assert.Equal(2, hint.Labels?.Count);
    }

    [Fact]
    public void The_repair_renames_only_the_declared_output_and_keeps_everything_else()
    {
        ModelProto original = OnnxModels.XgboostClassifier(Trees, FeatureNames.Length, 0.3);
        original.Graph.DocString = "kept";
        original.DocString = "model doc, kept";
        ModelProto broken = OnnxModels.WithRenamedOutput(original);

        PreparedModel prepared = OnnxModelPreparer.Prepare(broken.ToByteArray(), "m.onnx");

        // Read back with the tests' fuller schema: the repaired model equals the clean export.
        Assert.Equal(original, ModelProto.Parser.ParseFrom(prepared.Bytes));
    }

    [Fact]
    public void An_ambiguous_missing_output_is_an_error_not_a_guess()
    {
        ModelProto model = OnnxModels.XgboostClassifier(Trees, FeatureNames.Length);
        model.Graph.Output[0].Name = "output";
        model.Graph.Output[1].Name = "scores";

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => OnnxModelPreparer.Prepare(model.ToByteArray(), "m.onnx"));

        Assert.Contains("'output', 'scores'", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be mapped back", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_that_are_not_a_model_are_an_error_naming_the_file()
    {
        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => OnnxModelPreparer.Prepare("{\"not\": \"onnx\"}"u8.ToArray(), "/models/x.onnx"));

        Assert.StartsWith("/models/x.onnx is not an ONNX model", error.Message, StringComparison.Ordinal);
        Assert.Equal("/models/x.onnx", error.FilePath);
    }

    [Fact]
    public void A_zipmap_with_string_labels_reads_the_true_column()
    {
        ModelProto model = OnnxModels.ZipMapClassifier(Trees, FeatureNames.Length);
        NodeProto zipMap = model.Graph.Node.Single(n => n.OpType == "ZipMap");
        zipMap.Attribute.Clear();
        zipMap.Attribute.Add(new AttributeProto
        {
            Name = "classlabels_strings",
            Type = AttributeProto.Types.AttributeType.Strings,
            Strings = { ByteString.CopyFromUtf8("True"), ByteString.CopyFromUtf8("False") },
        });

        PreparedModel prepared = OnnxModelPreparer.Prepare(model.ToByteArray(), "m.onnx");

        Assert.Equal(0, prepared.Hints["probability_tensor"].PositiveColumn);
        ModelProto rewritten = ModelProto.Parser.ParseFrom(prepared.Bytes);
        Assert.DoesNotContain(rewritten.Graph.Node, n => n.OpType == "ZipMap");
        Assert.Equal(["output_label", "probability_tensor"], rewritten.Graph.Output.Select(o => o.Name));
        Assert.Equal(2, rewritten.Graph.Output[1].Type.TensorType.Shape.Dim[1].DimValue);
    }
}
