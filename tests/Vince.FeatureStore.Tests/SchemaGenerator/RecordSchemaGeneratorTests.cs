using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Vince.FeatureStore.SchemaGenerator;

namespace Vince.FeatureStore.Tests.SchemaGenerator;

/// <summary>
/// The schema generator over small section records: a new property is one edit in the record, and the generated
/// reader and column table pick it up; a property type it cannot handle stops the build.
/// </summary>
public sealed class RecordSchemaGeneratorTests
{
    private const string Attributes = """
        namespace Vince.FeatureStore
        {
            internal sealed class RecordSectionAttribute : System.Attribute { }
            internal sealed class SpecialColumnAttribute : System.Attribute { }
            internal sealed class LenientNullableInt32Converter : System.Text.Json.Serialization.JsonConverter<int?>
            {
                public override int? Read(ref System.Text.Json.Utf8JsonReader reader, System.Type typeToConvert, System.Text.Json.JsonSerializerOptions options) => null;
                public override void Write(System.Text.Json.Utf8JsonWriter writer, int? value, System.Text.Json.JsonSerializerOptions options) { }
            }
        }
        """;

    private const string Section = """
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Text.Json.Serialization;

        namespace Vince.FeatureStore
        {
            [RecordSection]
            public sealed record MarketFeatures
            {
                public double? Price { get; init; }
                [JsonConverter(typeof(LenientNullableInt32Converter))]
                public int? UtcHour { get; init; }
                [JsonPropertyName("hasOICap")]
                public bool? HasOICap { get; init; }
                public IReadOnlyList<double>? Levels { get; init; }
                /*EXTRA*/
                [JsonIgnore]
                public JsonElement? LegacyList { get; init; }
                [JsonExtensionData]
                public Dictionary<string, JsonElement>? ExtensionData { get; set; }
            }
        }
        """;

    [Fact]
    public void A_new_property_is_one_edit_in_the_section_record()
    {
        (string reader, string columns, _) = Generate(Section);
        (string readerAfter, string columnsAfter, ImmutableArray<Diagnostic> diagnostics) =
            Generate(Section.Replace("/*EXTRA*/", "public double? OrderFlowImbalance { get; init; }", StringComparison.Ordinal));

        Assert.Empty(diagnostics);
        Assert.Contains("""KeyTable MarketFeaturesKeys = new(["price", "utcHour", "hasOICap", "levels"], ignored: ["legacyList"]);""", reader, StringComparison.Ordinal);
        Assert.Contains("""KeyTable MarketFeaturesKeys = new(["price", "utcHour", "hasOICap", "levels", "orderFlowImbalance"], ignored: ["legacyList"]);""", readerAfter, StringComparison.Ordinal);
        Assert.Contains("case 4: orderFlowImbalance = NullableDouble(ref reader); break;", readerAfter, StringComparison.Ordinal);
        Assert.Contains("OrderFlowImbalance = orderFlowImbalance,", readerAfter, StringComparison.Ordinal);
        Assert.DoesNotContain("orderFlowImbalance", reader, StringComparison.Ordinal);

        Assert.Contains("""("orderFlowImbalance", static s => global::Vince.FeatureStore.Flattening.FeatureValue.Of(s.OrderFlowImbalance)),""", columnsAfter, StringComparison.Ordinal);
        Assert.Contains("""("utcHour", static s => global::Vince.FeatureStore.Flattening.FeatureValue.Of((double?)s.UtcHour)),""", columnsAfter, StringComparison.Ordinal);
        Assert.Contains("""MarketFeaturesOtherKeys = ["levels"];""", columnsAfter, StringComparison.Ordinal);
        Assert.DoesNotContain("orderFlowImbalance", columns, StringComparison.Ordinal);

        // The scoring path's switch numbers the same columns in the same order.
        Assert.Contains("3 => s.OrderFlowImbalance ?? double.NaN,", columnsAfter, StringComparison.Ordinal);
        Assert.Contains("1 => s.UtcHour ?? double.NaN,", columnsAfter, StringComparison.Ordinal);
        Assert.Contains("2 => s.HasOICap is { } b ? (b ? 1d : 0d) : double.NaN,", columnsAfter, StringComparison.Ordinal);
        Assert.DoesNotContain("3 =>", columns, StringComparison.Ordinal);
    }

    [Fact]
    public void The_generated_code_compiles_against_the_readers_helpers()
    {
        // The helpers the hand-written part of the reader and the flattener provide, as stubs with the same signatures.
        const string helpers = """
            using System.Collections.Generic;
            using System.Text.Json;
            namespace Vince.FeatureStore
            {
                internal sealed partial class FeatureRecordReader
                {
                    internal sealed class KeyTable { public KeyTable(string[] properties, string[]? ignored = null) { } }
                    private static bool NextProperty(ref Utf8JsonReader reader, ref Dictionary<string, JsonElement>? extension, KeyTable keys, ref int next, out int key) { key = -1; return false; }
                    private static double? NullableDouble(ref Utf8JsonReader reader) => null;
                    private static int? NullableInt32(ref Utf8JsonReader reader) => null;
                    private static bool? NullableBoolean(ref Utf8JsonReader reader) => null;
                    private static List<double>? DoubleList(ref Utf8JsonReader reader) => null;
                }
            }
            namespace Vince.FeatureStore.Flattening
            {
                internal readonly struct FeatureValue
                {
                    public static FeatureValue Of(double? value) => default;
                    public static FeatureValue Of(bool? value) => default;
                }
            }
            """;
        CSharpCompilation compilation = Compilation(Section.Replace("/*EXTRA*/", "public double? OrderFlowImbalance { get; init; }", StringComparison.Ordinal), helpers);
        CSharpGeneratorDriver.Create(new RecordSchemaGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Theory]
    [InlineData("public decimal? Notional { get; init; }", "VFSG001")]
    [InlineData("public int? Count { get; init; }", "VFSG002")]
    [InlineData("public string? Venue { get; init; } = \"binance\";", "VFSG003")]
    public void A_property_the_reader_cannot_mirror_stops_the_build(string property, string id)
    {
        (string reader, _, ImmutableArray<Diagnostic> diagnostics) = Generate(Section.Replace("/*EXTRA*/", property, StringComparison.Ordinal));

        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("", reader); // nothing generated: the build fails on the missing read methods too
    }

    [Theory]
    [InlineData("Price", "price")]
    [InlineData("HasOICap", "hasOICap")]
    [InlineData("XSentimentScore", "xSentimentScore")]
    [InlineData("Rsi14", "rsi14")]
    [InlineData("URLValue", "urlValue")]
    [InlineData("A", "a")]
    public void Keys_are_camel_cased_as_the_serializer_does(string name, string key)
    {
        Assert.Equal(System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name), key);
        (string reader, _, _) = Generate(Section.Replace("/*EXTRA*/", $"public double? {name} {{ get; init; }}", StringComparison.Ordinal));
        Assert.Contains($"\"{key}\"", reader, StringComparison.Ordinal);
    }

    private static (string Reader, string Columns, ImmutableArray<Diagnostic> Diagnostics) Generate(string section)
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new RecordSchemaGenerator()).RunGenerators(Compilation(section));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        string Source(string hint) => result.GeneratedSources.SingleOrDefault(s => s.HintName == hint).SourceText?.ToString() ?? "";
        return (Source("FeatureRecordReader.Sections.g.cs"), Source("SectionColumns.g.cs"), result.Diagnostics);
    }

    private static CSharpCompilation Compilation(params string[] sources)
    {
        string[] assemblies = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return CSharpCompilation.Create(
            "SchemaGeneratorTest",
            [CSharpSyntaxTree.ParseText(Attributes), .. sources.Select(s => CSharpSyntaxTree.ParseText(s))],
            assemblies.Select(a => MetadataReference.CreateFromFile(a)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }
}
