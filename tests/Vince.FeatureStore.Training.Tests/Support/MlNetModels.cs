using Microsoft.ML;
using Microsoft.ML.Data;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Tests.Support;

/// <summary>Loads a saved <c>.mlnet.zip</c> and predicts with ML.NET itself.</summary>
internal static class MlNetModels
{
    private static readonly MLContext Ml = new(0);

    /// <summary>The column <paramref name="column"/> (<c>Probability</c> or <c>Score</c>) ML.NET predicts for each row.</summary>
    public static float[] Predict(string path, IReadOnlyList<float[]> rows, string column)
    {
        ITransformer model = Ml.Model.Load(path, out _);
        SchemaDefinition schema = SchemaDefinition.Create(typeof(Row));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].Length);
        IDataView data = Ml.Data.LoadFromEnumerable(rows.Select(r => new Row { Features = r }), schema);
        return model.Transform(data).GetColumn<float>(column).ToArray();
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];
    }
}
