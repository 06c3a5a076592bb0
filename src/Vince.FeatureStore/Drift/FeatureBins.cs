using System.Text.Encodings.Web;
using System.Text.Json;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Drift;

/// <summary>
/// The training-time distribution of one model input column, as <c>feature_bins.json</c> stores it: bin edges fixed at
/// training time and the share of the reference records in each bin. Bin <c>i</c> holds the values <c>≤ edges[i]</c>
/// not in an earlier bin; the last bin holds everything above the last edge.
/// </summary>
/// <param name="Name">The column, e.g. <c>market_volumeRatio</c>.</param>
/// <param name="Edges">Ascending, distinct upper edges; <c>Edges.Count + 1</c> bins.</param>
/// <param name="Proportions">Share of the reference records per bin (sums to 1).</param>
/// <param name="Count">Reference records.</param>
/// <param name="Mean">Mean of the model-input values (missing as 0, as the model sees them).</param>
/// <param name="StdDev">Population standard deviation of the same values.</param>
/// <param name="ZeroFraction">Share of reference records whose model input is 0.</param>
/// <param name="PresentFraction">Share of reference records where the column has a value (not missing).</param>
/// <param name="IsLag">A lag column (<c>_lag1</c>…<c>_lag3</c>, <c>_roll3</c>).</param>
internal sealed record ColumnBins(
    string Name, IReadOnlyList<double> Edges, IReadOnlyList<double> Proportions, int Count, double Mean, double StdDev, double ZeroFraction, double PresentFraction, bool IsLag)
{
    /// <summary>The bin of a value.</summary>
    public int BinOf(double value)
    {
        for (int i = 0; i < Edges.Count; i++)
        {
            if (value <= Edges[i])
            {
                return i;
            }
        }

        return Edges.Count;
    }
}

/// <summary>
/// <c>feature_bins.json</c> of a model set: per input column of the set's models, the bins and training distribution
/// drift is measured against (docs/formats.md). Written by the .NET trainer; read by <c>vince-features drift</c> and
/// <c>report</c>, the drift health check and the train-when-ready service.
/// </summary>
internal sealed class FeatureBins
{
    /// <summary>The file name inside a model set.</summary>
    public const string FileName = "feature_bins.json";

    /// <summary>The version of the layout this code writes and reads.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reference records the bins were built from.</summary>
    public required int Records { get; init; }

    /// <summary>The columns, in the order of the models' inputs (each column once).</summary>
    public required IReadOnlyList<ColumnBins> Columns { get; init; }

    /// <summary>The path of the file in <paramref name="modelsDirectory"/>.</summary>
    public static string PathIn(string modelsDirectory) => Path.Combine(modelsDirectory, FileName);

    /// <summary>Reads the bins of a model set, or <see langword="null"/> when it has no <c>feature_bins.json</c>.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a valid bins file.</exception>
    public static FeatureBins? TryLoad(string modelsDirectory)
    {
        return ModelSetJsonFile.TryLoad(modelsDirectory, FileName, Parse);
    }

    /// <summary>Parses the file's content.</summary>
    public static FeatureBins Parse(ReadOnlyMemory<byte> utf8Json)
    {
        using JsonDocument document = JsonDocument.Parse(utf8Json);
        JsonElement root = document.RootElement;
        ModelSetJsonFile.EnsureFormat(root, FormatVersion);

        var columns = new List<ColumnBins>();
        foreach (JsonElement column in root.GetProperty("columns").EnumerateArray())
        {
            double[] edges = column.GetProperty("edges").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            double[] proportions = column.GetProperty("proportions").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            string name = column.GetProperty("name").GetString() ?? throw new FormatException("a column has no name.");
            if (proportions.Length != edges.Length + 1)
            {
                throw new FormatException($"column {name} has {edges.Length} edges and {proportions.Length} proportions (edges + 1 expected).");
            }

            columns.Add(new ColumnBins(
                name, edges, proportions,
                column.GetProperty("count").GetInt32(),
                column.GetProperty("mean").GetDouble(),
                column.GetProperty("std").GetDouble(),
                column.GetProperty("zero_fraction").GetDouble(),
                column.GetProperty("present_fraction").GetDouble(),
                column.GetProperty("lag").GetBoolean()));
        }

        return new FeatureBins { Records = root.GetProperty("records").GetInt32(), Columns = columns };
    }

    /// <summary>The file's content.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("format", FormatVersion);
            json.WriteString("reference", "every record the trainer read (avoided ones included), in decision-time order; values as the model sees them (missing 0), lags from the per-asset history");
            json.WriteNumber("records", Records);
            json.WriteStartArray("columns");
            foreach (ColumnBins column in Columns)
            {
                json.WriteStartObject();
                json.WriteString("name", column.Name);
                json.WriteBoolean("lag", column.IsLag);
                json.WriteNumber("count", column.Count);
                json.WriteNumber("mean", Round(column.Mean));
                json.WriteNumber("std", Round(column.StdDev));
                json.WriteNumber("zero_fraction", Round(column.ZeroFraction));
                json.WriteNumber("present_fraction", Round(column.PresentFraction));
                json.WriteStartArray("edges");
                foreach (double edge in column.Edges)
                {
                    json.WriteNumberValue(edge);
                }

                json.WriteEndArray();
                json.WriteStartArray("proportions");
                foreach (double proportion in column.Proportions)
                {
                    json.WriteNumberValue(Round(proportion));
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    // Shares and moments to 8 decimals: enough for PSI, and the file stays readable.
    private static double Round(double value) => Math.Round(value, 8);
}
