using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore;
using Vince.FeatureStore.Tests.Flattening;
using Vince.FeatureStore.Tests.Support;

namespace Vince.FeatureStore.Tests.Records;

/// <summary>
/// The log reader parses lines with a hand-written reader and falls back to System.Text.Json for what that
/// reader leaves alone. Whatever it accepts must be exactly the record the serializer builds, and every line
/// must get the serializer's accept/reject outcome (and message).
/// </summary>
public sealed class FeatureRecordReaderTests : IDisposable
{
    private static readonly JsonSerializerOptions RawUnicode = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Values put in place of every property and array item (raw JSON).</summary>
    private static readonly string[] Replacements =
    [
        "null", "true", "false", "0", "-0.0", "1", "3.0", "2.5", "-3e2", "1E-7", "1e400", "-1e400", "9223372036854775807",
        "9223372036854775808", "1.7976931348623157e308", "4.9e-324", "123456789012345678901234567890", "\"x\"", "\"NaN\"",
        "\"Infinity\"", "\"\\u00e9\\ud83d\\ude00 \\\"q\\\" \\n\"", "\"é😀\"", "[]", "[1,\"a\",null]", "{}",
        """{"a":{"b":[1,2,{"c":null}]},"d":"e"}""",
    ];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Its_key_tables_are_the_serializer_contract_of_every_record_type()
    {
        (Type Type, FeatureRecordReader.KeyTable Keys)[] tables =
        [
            (typeof(FeatureRecord), FeatureRecordReader.RecordKeys), (typeof(MarketFeatures), FeatureRecordReader.MarketFeaturesKeys),
            (typeof(SessionFeatures), FeatureRecordReader.SessionFeaturesKeys), (typeof(SignalFeatures), FeatureRecordReader.SignalFeaturesKeys),
            (typeof(RegimeFeatures), FeatureRecordReader.RegimeFeaturesKeys), (typeof(NewsFeatures), FeatureRecordReader.NewsFeaturesKeys),
            (typeof(ExecutionFeatures), FeatureRecordReader.ExecutionFeaturesKeys), (typeof(OutcomeFeatures), FeatureRecordReader.OutcomeFeaturesKeys),
            (typeof(FeatureLabels), FeatureRecordReader.FeatureLabelsKeys), (typeof(AvoidedDecision), FeatureRecordReader.AvoidedDecisionKeys),
        ];

        foreach ((Type type, FeatureRecordReader.KeyTable keys) in tables)
        {
            // Keys of [JsonIgnore] properties are skipped by the serializer, not kept as extension data.
            string[] ignored = [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is not null)
                .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))];
            Assert.Equal(ignored.Order(StringComparer.Ordinal), keys.Ignored.Order(StringComparer.Ordinal));

            var info = FeatureJsonContext.Default.GetTypeInfo(type)!;
            Assert.Equal(info.Properties.Where(p => !p.IsExtensionData && !ignored.Contains(p.Name)).Select(p => p.Name), keys.Properties);
            Assert.Single(info.Properties, p => p.IsExtensionData);
        }
    }

    [Fact]
    public void The_golden_and_fixture_records_are_read_by_the_fast_reader_exactly_as_the_serializer_reads_them()
    {
        string data = Path.Combine(AppContext.BaseDirectory, "TestData");
        List<string> lines = [.. File.ReadAllLines(Path.Combine(data, "golden", "features_2026-01-22_1.jsonl")).Where(l => l.Length > 0)];
        lines.Add(File.ReadAllText(Path.Combine(data, "full-record.json")));
        lines.Add(File.ReadAllText(Path.Combine(data, "legacy-record.json")));

        foreach ((string line, int i) in lines.Select((l, i) => (l, i)))
        {
            Assert.True(RecordParity.Check(Encoding.UTF8.GetBytes(line), $"golden #{i}"), $"golden #{i} fell back to the serializer");
        }

        Assert.Equal(7, lines.Count);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(23)]
    public void Generated_records_are_read_exactly_as_the_serializer_reads_them(int seed)
    {
        TrainingServingParityTests.GenerateDataSet(_dir.Path, records: 500, seed: seed);
        string[] lines = _dir.AllFeatureLines();
        lines =
        [
            .. lines,
            TestRecords.Line(TestRecords.Decision("d1")),
            TestRecords.Line(TestRecords.Complete("c1", asset: "ETH", pnl: -42.5)),
            TestRecords.Line(TestRecords.Complete("c2") with { Avoided = new AvoidedDecision { Reason = "cooldown", Timestamp = TestRecords.BaseTime } }),
        ];

        foreach ((string line, int i) in lines.Select((l, i) => (l, i)))
        {
            Assert.True(RecordParity.Check(Encoding.UTF8.GetBytes(line), $"generated #{i}"), $"generated #{i} fell back to the serializer: {line}");
        }

        Assert.True(lines.Length > 800);
    }

    [Fact]
    public async Task The_sample_bots_output_is_read_exactly_as_the_serializer_reads_it()
    {
        (int exitCode, _, string stderr) = await SampleProcess.RunAsync(["--trades", "60", "--data-dir", _dir.Path]);
        Assert.True(exitCode == 0, $"exit {exitCode}: {stderr}");

        string[] lines = [.. Directory.GetFiles(_dir.Path, "features_*.jsonl").SelectMany(File.ReadAllLines).Where(l => l.Length > 0)];
        foreach ((string line, int i) in lines.Select((l, i) => (l, i)))
        {
            Assert.True(RecordParity.Check(Encoding.UTF8.GetBytes(line), $"sample #{i}"), $"sample #{i} fell back to the serializer: {line}");
        }

        Assert.True(lines.Length >= 120, $"{lines.Length} lines");
    }

    [Theory]
    [InlineData("full-record.json")]
    [InlineData("legacy-record.json")]
    public void Any_value_at_any_property_gets_the_serializers_outcome(string fixture)
    {
        JsonNode original = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", fixture)))!;
        int mutants = 0, fast = 0;
        foreach (string path in Slots(original, "$"))
        {
            foreach (string replacement in Replacements)
            {
                JsonNode mutant = original.DeepClone();
                Replace(mutant, path, JsonNode.Parse(replacement));
                fast += RecordParity.Check(Encoding.UTF8.GetBytes(mutant.ToJsonString(RawUnicode)), $"{path} = {replacement}") ? 1 : 0;
                mutants++;
            }
        }

        // Nothing vacuous: many of the mutants are read by the fast reader, many are left to the serializer.
        Assert.True(mutants > 800, $"{mutants} mutants");
        Assert.InRange(fast, mutants / 5, mutants * 4 / 5);
    }

    [Theory]
    [InlineData("full-record.json")]
    [InlineData("legacy-record.json")]
    public void Unknown_keys_at_every_level_are_kept_as_the_serializer_keeps_them(string fixture)
    {
        JsonNode original = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", fixture)))!;
        int objects = 0;
        foreach (string path in Objects(original, "$"))
        {
            foreach (string value in Replacements)
            {
                JsonNode mutant = original.DeepClone();
                ((JsonObject)Find(mutant, path)).Add("zz_unknown", JsonNode.Parse(value));
                Assert.True(RecordParity.Check(Encoding.UTF8.GetBytes(mutant.ToJsonString(RawUnicode)), $"{path}.zz_unknown = {value}"), $"{path}.zz_unknown = {value} fell back");
            }

            objects++;
        }

        Assert.True(objects >= 9, $"{objects} objects");
    }

    [Theory]
    // Read by the fast reader (true) or left to the serializer (false); either way the outcome is the serializer's.
    [InlineData("""{"id":"a","timestamp":1,"asset":"BTC"}""", true)]
    [InlineData("""  {"id":"a","timestamp":1,"asset":"X"}  """, true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X"}""" + "\r\n", true)]
    // Without id or asset the serializer decides: its versions differ on the property initializer.
    [InlineData("""{"id":"a","timestamp":1}""", false)]
    [InlineData("""{"timestamp":1,"asset":"X"}""", false)]
    [InlineData("""{"timestamp":1}""", false)]
    [InlineData("""{}""", false)]
    [InlineData("""{"id":"a","timestamp":1e3,"asset":"ETH"}""", true)]
    [InlineData("""{"id":"a","timestamp":1.0E+3,"asset":"X"}""", true)]
    [InlineData("""{"id":"a","timestamp":1.5,"asset":"X"}""", false)]
    [InlineData("""{"id":"a","timestamp":null,"asset":"X"}""", false)]
    [InlineData("""{"id":"a","timestamp":"1","asset":"X"}""", false)]
    [InlineData("""{"id":"a","timestamp":-5,"asset":"X"}""", true)]
    [InlineData("""{"id":null,"timestamp":1,"asset":null}""", true)]
    [InlineData("""{"id":"","timestamp":1,"asset":"X"}""", true)]
    [InlineData("""{"id":1,"timestamp":1,"asset":"X"}""", false)]
    [InlineData("""{"id":"a","id":"b","timestamp":1,"timestamp":2,"asset":"X","asset":"Y"}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":1,"price":2,"x":1,"y":2,"x":3}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":1},"market":{"dvol":2}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":1},"market":null}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","zz":1,"zz":{"b":2}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","isComplete":false,"timestampUtc":"x","extensionData":{"k":1}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","news":{"legacyList":[1],"etfFlowBtc":1}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"extensionData":{"x":1},"isComplete":true},"outcome":{"legacyList":2}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","news":[{"sentiment":1},{"headline":"x"}]}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","news":[]}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","news":"risk_on"}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","news":null}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":null,"dvol":-0.0,"rsi14":1E2,"atrPct":2.5e-3}}""", true)]
    // .NET 10's reader reads an overflowing number as infinity; the converter then keeps it, and so does the fast reader.
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":1e400}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":"NaN"}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":"1"}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":true}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":[]}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":5}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"volume24h":123456789012345678901234567890}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","labels":{"profitable":null}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","labels":{"winAmount":null,"benchScore":null,"optimalTpLevel":2.0}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","labels":{"optimalTpLevel":2.5}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","labels":{"optimalTpLevel":3000000000}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","labels":{"maxAdverseExcursion":"n/a","profitable":true}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","session":{"utcHour":null,"isWeekend":null,"dayOfWeek":3.0}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","session":{"isWeekend":"yes"}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","execution":{"takeProfitPrices":[1,null,2e1],"takeProfitDistancesPct":null}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","execution":{"takeProfitPrices":[1,"2"]}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","decisionDrivers":["x",null,"é😀"]}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","decisionDrivers":["x",1]}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","signal":{"sources":["s",null,{"name":"n","sentiment":2,"k":[1]}]}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","signal":{"sources":[{"name":1,"sentiment":"high","name":"again"}]}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","signal":{"sources":[1]}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","signal":{"sources":{"name":"s"}}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","signal":{"sources":null,"factors":null,"hasOICap":true,"xSentimentScore":3}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","signal":{"HasOICap":true,"XSentimentScore":3,"Direction":"long"}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","regime":{"oiCapRisk":null,"volumeSpike":null}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","regime":{"oiCapRisk":{"level":[1,{"x":null}]}}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","avoided":{"reason":null,"timestamp":3.0,"note":"n"}}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","avoided":{"timestamp":"3"}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"caf\u00e9 \"q\" \\ \n \ud83d\ude00"}""", true)]
    [InlineData("""{"id":"\u0061","timestamp":1,"asset":"\/"}""", true)]
    [InlineData("""{"\u0069d":"a","timestamp":1,"market":{"pr\u0069ce":5,"\u00e9":1}}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","wtt":{"primary":true,"edge":1.5e-3},"preMortem":"x"}""", true)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","ünïcödé":{"ключ":"значение"}}""", true)]
    [InlineData("""{"id":"a","timestamp":1} x""", false)]
    [InlineData("""{"id":"a","timestamp":1}{}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X",}""", false)]
    [InlineData("""{"id":"a","timestamp":1 /* c */}""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","market":{"price":1}""", false)]
    [InlineData("""[{"id":"a"}]""", false)]
    [InlineData("""null""", false)]
    [InlineData("""{"id":"a","timestamp":1,"asset":"X","zz":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}""", false)]
    public void Edge_cases_get_the_serializers_outcome(string json, bool readByTheFastReader)
    {
        Assert.Equal(readByTheFastReader, RecordParity.Check(Encoding.UTF8.GetBytes(json), json));
    }

    [Fact]
    public void The_short_decimal_shortcut_parses_bit_for_bit_like_the_reader()
    {
        var random = new Random(3);
        int checkedCount = 0, shortcut = 0;
        void Check(string text)
        {
            byte[] utf8 = Encoding.ASCII.GetBytes(text);
            var reader = new Utf8JsonReader(utf8);
            Assert.True(reader.Read() && reader.TokenType == JsonTokenType.Number, text);
            double expected = reader.GetDouble();
            checkedCount++;
            if (FeatureRecordReader.TryParseShortDecimal(utf8, out double actual))
            {
                shortcut++;
                Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{text}: {actual:R} vs {expected:R}");
            }
        }

        foreach (string text in (string[])["0", "-0", "-0.0", "0.0", "1", "-1", "9007199254740992", "9007199254740993", "1e22", "1e23",
            "1e-22", "1e-23", "123456789012345e-22", "0.1", "0.3", "1E+2", "1e-0", "0e400", "-0e-400", "0.000000000000000000001",
            "1.7976931348623157e308", "4.9e-324", "97250.5", "-0.00002"])
        {
            Check(text);
        }

        for (int i = 0; i < 100_000; i++)
        {
            double value = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-10, 18));
            Check(value.ToString("R", CultureInfo.InvariantCulture));
            Check(Math.Round(value, random.Next(0, 8)).ToString("R", CultureInfo.InvariantCulture));
            Check(value.ToString("E" + random.Next(0, 17), CultureInfo.InvariantCulture));
            var digits = new StringBuilder(random.Next(2) == 0 ? "-" : "");
            digits.Append((char)('1' + random.Next(9)));
            digits.Append(string.Concat(Enumerable.Range(0, random.Next(0, 17)).Select(_ => (char)('0' + random.Next(10)))));
            digits.Append('.').Append((char)('0' + random.Next(10)));
            digits.Append(string.Concat(Enumerable.Range(0, random.Next(0, 19)).Select(_ => (char)('0' + random.Next(10)))));
            if (random.Next(3) == 0)
            {
                digits.Append('e').Append(random.Next(-30, 30));
            }

            Check(digits.ToString());
        }

        // The shortcut takes many of them (and the rest go to the reader).
        Assert.InRange(shortcut, checkedCount / 4, checkedCount - (checkedCount / 10));
    }

    [Fact]
    public void Invalid_UTF8_gets_the_serializers_outcome()
    {
        byte[] inString = [.. """{"id":"a","timestamp":1,"asset":"""u8, (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}'];
        byte[] inUnknownValue = [.. """{"id":"a","timestamp":1,"zz":"""u8, (byte)'"', 0xFF, (byte)'"', (byte)'}'];
        byte[] inUnknownKey = [.. """{"id":"a","timestamp":1,"""u8, (byte)'"', 0xFF, (byte)'"', .. """:1}"""u8];

        Assert.False(RecordParity.Check(inString, "invalid UTF-8 in asset"));
        RecordParity.Check(inUnknownValue, "invalid UTF-8 in an unknown value");
        RecordParity.Check(inUnknownKey, "invalid UTF-8 in an unknown key");
    }

    [Fact]
    public async Task The_log_reader_skips_the_lines_the_serializer_rejects_with_its_message()
    {
        string good = TestRecords.Line(TestRecords.Complete("good", TestRecords.BaseTime));
        string[] bad =
        [
            """{"id":"wrong-type","timestamp":1769100000001,"market":{"price":"97000"}}""",
            """{"id":"null-bool","timestamp":1769100000002,"labels":{"profitable":null}}""",
            """{"id":"fraction","timestamp":1769100000003,"session":{"utcHour":1.5}}""",
            """{"id":"list-for-object","timestamp":1769100000004,"execution":[]}""",
        ];
        string escaped = """{"\u0069d":"escaped","timestamp":1769100000005,"asset":"SOL"}""";
        File.WriteAllLines(_dir.File("features_2026-01-22_1.jsonl"), [good, .. bad, escaped]);
        var logger = new FakeLogger<FeatureLogReader>();
        var reader = new FeatureLogReader(_dir.Path, logger: logger);

        List<FeatureRecord> records = [];
        await foreach (FeatureRecord record in reader.ReadRecordsAsync())
        {
            records.Add(record);
        }

        Assert.Equal(["good", "escaped"], records.Select(r => r.Id));
        RecordParity.AssertSame(FeatureJson.Deserialize(good), records[0], "good");
        RecordParity.AssertSame(FeatureJson.Deserialize(escaped), records[1], "escaped");
        Assert.Equal(bad.Length, reader.SkippedLines);
        IReadOnlyList<FakeLogRecord> warnings = [.. logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning)];
        Assert.Equal(bad.Length, warnings.Count);
        for (int i = 0; i < bad.Length; i++)
        {
            string expected = Assert.Throws<JsonException>(() => FeatureJson.Deserialize(bad[i])).Message;
            Assert.Contains(warnings, w => w.Message.Contains($"line {i + 2} ", StringComparison.Ordinal) && w.Message.EndsWith(expected, StringComparison.Ordinal));
        }
    }

    /// <summary>JSON paths (<c>$.a.b[2]</c>) of every property value and array item below <paramref name="node"/>.</summary>
    private static IEnumerable<string> Slots(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach ((string key, JsonNode? child) in obj)
                {
                    string childPath = $"{path}.{key}";
                    yield return childPath;
                    if (child is not null)
                    {
                        foreach (string below in Slots(child, childPath))
                        {
                            yield return below;
                        }
                    }
                }

                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    string childPath = $"{path}[{i}]";
                    yield return childPath;
                    if (array[i] is { } child)
                    {
                        foreach (string below in Slots(child, childPath))
                        {
                            yield return below;
                        }
                    }
                }

                break;
        }
    }

    /// <summary>JSON paths of the root and every object below it.</summary>
    private static IEnumerable<string> Objects(JsonNode root, string path)
        => Slots(root, path).Prepend(path).Where(p => Find(root, p) is JsonObject);

    private static JsonNode Find(JsonNode root, string path)
    {
        JsonNode node = root;
        foreach ((string? key, int index) in Steps(path))
        {
            node = key is not null ? node[key]! : node[index]!;
        }

        return node;
    }

    private static void Replace(JsonNode root, string path, JsonNode? value)
    {
        List<(string? Key, int Index)> steps = Steps(path);
        JsonNode parent = root;
        foreach ((string? key, int index) in steps[..^1])
        {
            parent = key is not null ? parent[key]! : parent[index]!;
        }

        (string? lastKey, int lastIndex) = steps[^1];
        if (lastKey is not null)
        {
            parent[lastKey] = value;
        }
        else
        {
            parent[lastIndex] = value;
        }
    }

    private static List<(string? Key, int Index)> Steps(string path)
    {
        // The fixtures' keys contain no '.', '[' or ']'.
        var steps = new List<(string?, int)>();
        int i = 1; // after '$'
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                int end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                steps.Add((path[(i + 1)..end], -1));
                i = end;
            }
            else
            {
                int end = path.IndexOf(']', i);
                steps.Add((null, int.Parse(path[(i + 1)..end], System.Globalization.CultureInfo.InvariantCulture)));
                i = end + 1;
            }
        }

        return steps;
    }
}
