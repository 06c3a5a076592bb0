using System.Globalization;
using System.Text;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Tests.Export;

/// <summary>
/// The CSV writer formats numbers itself (integers through a shortcut, repeated values from a cache): every
/// field must still be exactly <c>double.ToString("R", InvariantCulture)</c>, the text the export always wrote.
/// </summary>
public sealed class CsvRowWriterTests
{
    [Fact]
    public void Numbers_are_written_as_invariant_round_trip_text()
    {
        var random = new Random(5);
        List<double> values =
        [
            0, -0.0, 1, -1, 3, 1e14, 999_999_999_999_999, -999_999_999_999_999, 1e15, 1e16, 123456789012345678, 9007199254740993,
            0.1, -2.5, 1e-7, 4.9e-324, double.MaxValue, double.MinValue, double.Epsilon, double.NaN,
            double.PositiveInfinity, double.NegativeInfinity, 97_250.5, 0.0001, -0.00002,
        ];
        for (int i = 0; i < 20_000; i++)
        {
            values.Add(BitConverter.Int64BitsToDouble(random.NextInt64()));
            values.Add(Math.Round((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 17)), random.Next(0, 6)));
            values.Add(Math.Floor(random.NextDouble() * Math.Pow(10, random.Next(0, 17))) * (random.Next(2) == 0 ? 1 : -1));
        }

        // Each value three times, far apart and close together: the second and third come from the cache.
        values = [.. values, .. values.AsEnumerable().Reverse(), .. values];
        var csv = new CsvRowWriter(16);
        foreach (double value in values)
        {
            csv.Field(value);
        }

        csv.EndRow();
        string expected = string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "\r\n";
        Assert.Equal(expected, Encoding.UTF8.GetString(csv.Written.Span));
    }

    [Fact]
    public void Text_is_quoted_when_needed_and_values_are_written_as_their_training_text()
    {
        var csv = new CsvRowWriter(16);
        csv.Field("plain");
        csv.Field("a,b");
        csv.Field("say \"hi\"");
        csv.Field("two\r\nlines");
        csv.Field((string?)null);
        csv.Field("é😀");
        csv.EndRow();
        csv.Field(FeatureValue.Of(2.5));
        csv.Field(FeatureValue.Of(true));
        csv.Field(FeatureValue.Of(false));
        csv.Field(FeatureValue.Missing);
        csv.Field(FeatureValue.Of("x,y"));
        csv.Field(FeatureValue.Of(-0.0));
        csv.EndRow();

        Assert.Equal("plain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",,é😀\r\n2.5,1,0,,\"x,y\",-0\r\n", Encoding.UTF8.GetString(csv.Written.Span));
        csv.Clear();
        csv.Field(1);
        Assert.Equal("1", Encoding.UTF8.GetString(csv.Written.Span));
    }
}
