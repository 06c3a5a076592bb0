using System.Text;
using System.Text.Json;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Tests.Records;

/// <summary>
/// One depth limit for record lines: the header scan (version resolution, presence), the fast reader and the
/// serializer accept the same nesting and reject the same, so no line counts as a version that cannot be read.
/// </summary>
public sealed class RecordDepthTests
{
    [Theory]
    [InlineData("top level", 0)]
    [InlineData("top level", 1)]
    [InlineData("in a section", 0)]
    [InlineData("in a section", 1)]
    public void Every_reader_of_a_record_line_accepts_the_depth_limit_and_rejects_one_level_more(string where, int beyondLimit)
    {
        bool inSection = where == "in a section";
        // The record object is one level, the section another; the arrays make up the rest.
        int arrays = RecordLimits.MaxJsonDepth - (inSection ? 2 : 1) + beyondLimit;
        string deep = new string('[', arrays) + new string(']', arrays);
        string json = inSection
            ? """{"id":"deep","timestamp":1769000000000,"asset":"BTC","market":{"price":1.5,"deep":""" + deep + "}}"
            : """{"id":"deep","timestamp":1769000000000,"asset":"BTC","deep":""" + deep + "}";
        byte[] line = Encoding.UTF8.GetBytes(json);
        bool expected = beyondLimit == 0;

        Assert.Equal(expected, RecordLine.TryReadHeader(line, out _, out string? headerError));
        Assert.Equal(expected, RecordLine.TryReadHeader(line, out _, out _, new Vince.FeatureStore.Flattening.ColumnPresence()));
        Assert.Equal(expected, RecordLine.TryParse(line, out _, out string? parseError));
        Assert.Equal(expected, FeatureRecordReader.TryRead(line, out _));
        Assert.Equal(expected, Deserializes(line));
        if (!expected)
        {
            Assert.Contains("depth", headerError, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("depth", parseError, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static bool Deserializes(byte[] line)
    {
        try
        {
            FeatureJson.Deserialize(line);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
