using System.Text.Json.Nodes;
using Vince.FeatureStore.Onnx.Tests.Support;
using Vince.FeatureStore.Onnx.Tests.Training.Support;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Training;

/// <summary>The validator on real model files loaded by ONNX Runtime: every defect is refused with the file named.</summary>
public sealed class ModelSetValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Set(Action<string> write)
    {
        string directory = Path.Combine(_dir.Path, "set-" + Guid.NewGuid().ToString("N")[..8]);
        write(directory);
        return directory;
    }

    private static InvalidModelSetException Invalid(string directory) => Assert.Throws<InvalidModelSetException>(() => ModelSetValidator.Validate(directory));

    [Fact]
    public void The_python_layout_validates_with_the_renamed_output_repaired_and_each_width_checked()
    {
        string directory = Set(d => TrainedSets.WriteTrees(d));

        ValidatedModelSet set = ModelSetValidator.Validate(directory);

        Assert.False(set.IsEmpty);
        Assert.Equal(["position_sizing", "signal_quality"], set.Models.Select(m => m.Name));
        ValidatedModel signal = set.Models.Single(m => m.Name == "signal_quality");
        Assert.Equal(FeatureNames.Length, signal.InputWidth);
        Assert.Equal(Path.Combine(directory, "training_metadata.json"), signal.WidthSource);
        Assert.Contains(signal.Repairs, r => r.Contains("'output'", StringComparison.Ordinal));
        ValidatedModel sizing = set.Models.Single(m => m.Name == "position_sizing");
        Assert.Equal(6, sizing.InputWidth);
        Assert.Equal(Path.Combine(directory, "position_sizing_features.json"), sizing.WidthSource);
        Assert.Empty(sizing.Repairs);
        Assert.Equal(["signal_quality", "position_sizing"], set.Metadata.ModelsTrained);
    }

    [Fact]
    public void Metadata_with_empty_model_lists_and_no_onnx_is_an_empty_set()
    {
        ValidatedModelSet set = ModelSetValidator.Validate(Set(TrainedSets.WriteEmpty));

        Assert.True(set.IsEmpty);
        Assert.Equal(12, set.Metadata.TradesWithOutcomes);
    }

    [Fact]
    public void Missing_metadata_is_refused()
    {
        string directory = Set(d =>
        {
            TrainedSets.WriteLinear(d);
            File.Delete(Path.Combine(d, "training_metadata.json"));
        });

        InvalidModelSetException error = Invalid(directory);

        Assert.Equal($"{Path.Combine(directory, "training_metadata.json")} does not exist: the trainer wrote no training metadata.", Assert.Single(error.Problems));
        Assert.Equal(directory, error.Directory);
    }

    [Fact]
    public void Metadata_that_does_not_parse_is_refused()
    {
        string directory = Set(d =>
        {
            TrainedSets.WriteLinear(d);
            File.WriteAllText(Path.Combine(d, "training_metadata.json"), "{\"models_trained\": [\"signal_quality\"");
        });

        string problem = Assert.Single(Invalid(directory).Problems);

        Assert.StartsWith($"{Path.Combine(directory, "training_metadata.json")} is not valid training metadata", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_narrower_than_its_feature_list_is_refused_naming_both()
    {
        string directory = Set(TrainedSets.WriteWidthMismatch);

        string problem = Assert.Single(Invalid(directory).Problems);

        Assert.Contains(Path.Combine(directory, "signal_quality.onnx"), problem, StringComparison.Ordinal);
        Assert.Contains($"takes 13 input features but {Path.Combine(directory, "training_metadata.json")} lists {FeatureNames.Length}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_model_that_disagrees_with_its_features_file_is_refused()
    {
        string directory = Set(d =>
        {
            TrainedSets.WriteTrees(d);
            new JsonObject { ["model"] = "position_sizing", ["features"] = new JsonArray("a", "b", "c", "d", "e"), ["n_features"] = 5 }
                .Save(Path.Combine(d, "position_sizing_features.json"));
        });

        string problem = Assert.Single(Invalid(directory).Problems);

        Assert.Equal($"{Path.Combine(directory, "position_sizing.onnx")} takes 6 input features but {Path.Combine(directory, "position_sizing_features.json")} says 5: " +
            "the model and its feature list do not belong together.", problem);
    }

    [Fact]
    public void A_corrupt_onnx_file_is_refused()
    {
        string directory = Set(TrainedSets.WriteCorrupt);

        string problem = Assert.Single(Invalid(directory).Problems);

        Assert.StartsWith($"{Path.Combine(directory, "signal_quality.onnx")} is not an ONNX model", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_second_model_is_refused_by_ONNX_Runtime()
    {
        string directory = Set(d =>
        {
            TrainedSets.WriteTrees(d);
            // A valid protobuf ModelProto whose graph references an operator that does not exist.
            var model = OnnxModels.LogisticRegression([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f], 0.2f);
            model.Graph.Node[0].OpType = "NoSuchOperator";
            OnnxModels.Save(model, Path.Combine(d, "position_sizing.onnx"));
            JsonObject metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(d, "training_metadata.json")))!.AsObject();
            metadata["onnx_hashes"]!.AsObject().Remove("position_sizing");
            metadata.Save(Path.Combine(d, "training_metadata.json"));
        });

        string problem = Assert.Single(Invalid(directory).Problems);

        Assert.StartsWith($"ONNX Runtime cannot load {Path.Combine(directory, "position_sizing.onnx")}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_listed_model_that_is_missing_and_a_hash_mismatch_are_both_reported()
    {
        string directory = Set(d =>
        {
            TrainedSets.WriteTrees(d);
            File.Delete(Path.Combine(d, "signal_quality.onnx"));
            File.AppendAllText(Path.Combine(d, "position_sizing.onnx"), "x");
        });

        InvalidModelSetException error = Invalid(directory);

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains($"{Path.Combine(directory, "training_metadata.json")} lists the model 'signal_quality' but {Path.Combine(directory, "signal_quality.onnx")} does not exist.", error.Problems);
        Assert.Contains(error.Problems, p => p.StartsWith(Path.Combine(directory, "position_sizing.onnx"), StringComparison.Ordinal) && p.Contains("does not match onnx_hashes.position_sizing", StringComparison.Ordinal));
        Assert.Contains("(2 problems)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Models_next_to_metadata_that_lists_none_do_not_belong_together()
    {
        string directory = Set(d =>
        {
            TrainedSets.WriteEmpty(d);
            OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), Path.Combine(d, "signal_quality.onnx"));
        });

        string problem = Assert.Single(Invalid(directory).Problems);

        Assert.Contains("lists no model", problem, StringComparison.Ordinal);
        Assert.Contains("signal_quality.onnx", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_name_that_is_a_path_is_refused()
    {
        string directory = Set(d =>
        {
            TrainedSets.WriteLinear(d);
            JsonObject metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(d, "training_metadata.json")))!.AsObject();
            metadata["models_trained"] = new JsonArray("signal_quality", "../../etc/passwd");
            metadata.Save(Path.Combine(d, "training_metadata.json"));
        });

        string problem = Assert.Single(Invalid(directory).Problems);

        Assert.Contains("'../../etc/passwd', which is not a plain file name", problem, StringComparison.Ordinal);
    }
}
