using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Data;

/// <summary>
/// The training matrix of one model in decision-time order: the values <see cref="CompiledColumns.Fill"/> writes for
/// the model's columns (exactly the vector the scorer builds for the same record and history) and the model's label.
/// </summary>
internal sealed class ModelRows
{
    public ModelRows(TrainingModel model, IReadOnlyList<string> columns)
    {
        Model = model;
        Columns = columns;
        Compiled = FeatureFlattener.Compile(columns);
    }

    public TrainingModel Model { get; }

    public string Name => TrainingModels.Name(Model);

    public IReadOnlyList<string> Columns { get; }

    public CompiledColumns Compiled { get; }

    public List<string> Ids { get; } = [];

    public List<float[]> Features { get; } = [];

    public List<double> Labels { get; } = [];

    public int Count => Ids.Count;

    /// <summary>Adds the record as a row when the model has a label for it.</summary>
    public void AddIfLabelled(FeatureRecord record, FeatureHistory history)
    {
        if (TrainingModels.LabelOf(Model, record) is not { } label)
        {
            return;
        }

        float[] row = new float[Compiled.Count];
        Compiled.Fill(record, history, row);
        Ids.Add(record.Id);
        Features.Add(row);
        Labels.Add(label);
    }

    /// <summary>The time-ordered split of the script (<see cref="HoldoutEvaluation.SplitIndex"/>, shared with the quality gate).</summary>
    public int SplitIndex(double holdoutFraction) => HoldoutEvaluation.SplitIndex(Count, holdoutFraction);
}
