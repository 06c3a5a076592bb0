using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Vince.FeatureStore.SchemaGenerator;

/// <summary>
/// Generates, from the section records marked <c>[RecordSection]</c>, the per-section code of the fast record reader
/// (<c>FeatureRecordReader</c>: key tables and one read method per section) and the flattener's column tables
/// (<c>Flattening.SectionColumns</c>). The section records stay the only hand-written list of fields.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class RecordSchemaGenerator : IIncrementalGenerator
{
    private const string SectionAttribute = "Vince.FeatureStore.RecordSectionAttribute";
    private const string SpecialColumnAttribute = "Vince.FeatureStore.SpecialColumnAttribute";
    private const string ColumnType = "global::Vince.FeatureStore.Flattening.FeatureValue";

    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>
    /// The value types a section property may have: the reader helper that mirrors the serializer for it, and its
    /// column (null: not a column). Any other type is a build error, never a silently missing column.
    /// </summary>
    private static readonly Dictionary<string, ValueShape> Shapes = new()
    {
        ["double"] = new("Double", $"{ColumnType}.Of(s.{{0}})", "s.{0}"),
        ["double?"] = new("NullableDouble", $"{ColumnType}.Of(s.{{0}})", "s.{0} ?? double.NaN"),
        ["int"] = new("Int32", $"{ColumnType}.Of((double)s.{{0}})", "s.{0}"),
        ["int?"] = new("NullableInt32", $"{ColumnType}.Of((double?)s.{{0}})", "s.{0} ?? double.NaN"),
        ["long"] = new("Int64", $"{ColumnType}.Of((double)s.{{0}})", "s.{0}"),
        ["long?"] = new("NullableInt64", $"{ColumnType}.Of((double?)s.{{0}})", "s.{0} ?? double.NaN"),
        ["bool"] = new("Boolean", $"{ColumnType}.Of(s.{{0}})", "s.{0} ? 1d : 0d"),
        ["bool?"] = new("NullableBoolean", $"{ColumnType}.Of(s.{{0}})", "s.{0} is { } b ? (b ? 1d : 0d) : double.NaN"),
        ["string"] = new("String", $"{ColumnType}.Of(s.{{0}})", "double.NaN"),
        ["string?"] = new("String", $"{ColumnType}.Of(s.{{0}})", "double.NaN"),
        ["global::System.Text.Json.JsonElement?"] = new("NullableElement", "s.{0} is { } v ? global::Vince.FeatureStore.Flattening.FeatureSchema.FromJson(v, false) : default",
            "s.{0} is { } v ? global::Vince.FeatureStore.Flattening.FeatureSchema.FromJson(v, true).NumberOrNaN : double.NaN"),
        ["global::System.Collections.Generic.IReadOnlyList<string>?"] = new("StringList", null),
        ["global::System.Collections.Generic.IReadOnlyList<double>?"] = new("DoubleList", null),
        ["global::System.Collections.Generic.IReadOnlyList<global::Vince.FeatureStore.SignalSource>?"] = new("SignalSourceList", null),
    };

    private static readonly DiagnosticDescriptor UnsupportedType = new(
        "VFSG001", "Unsupported section property type",
        "Section property '{0}' has type '{1}', which the record reader and the flattener do not handle: use one of the supported types or add its shape to the schema generator",
        "Vince.FeatureStore.Schema", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor StrictInteger = new(
        "VFSG002", "Integer section property without a lenient converter",
        "Section property '{0}' is an integer without a Lenient…Converter: the record reader reads integers written as 3.0, so the serializer must too",
        "Vince.FeatureStore.Schema", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor Initializer = new(
        "VFSG003", "Section property with an initializer",
        "Section property '{0}' has an initializer: the serializer's handling of a missing key then depends on its version, which the record reader cannot mirror",
        "Vince.FeatureStore.Schema", DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValueProvider<ImmutableArray<SectionModel>> sections = context.SyntaxProvider
            .ForAttributeWithMetadataName(SectionAttribute, static (node, _) => node is TypeDeclarationSyntax, static (ctx, ct) => Describe((INamedTypeSymbol)ctx.TargetSymbol, ct))
            .Collect();
        context.RegisterSourceOutput(sections, static (output, models) => Emit(output, models));
    }

    private static SectionModel Describe(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var properties = ImmutableArray.CreateBuilder<PropertyModel>();
        var errors = ImmutableArray.CreateBuilder<DiagnosticInfo>();
        foreach (IPropertySymbol property in type.GetMembers().OfType<IPropertySymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public)
            {
                continue;
            }

            ImmutableArray<AttributeData> attributes = property.GetAttributes();
            bool ignored = Has(attributes, "System.Text.Json.Serialization.JsonIgnoreAttribute");
            bool extensionData = Has(attributes, "System.Text.Json.Serialization.JsonExtensionDataAttribute");
            string jsonName = attributes.FirstOrDefault(a => Is(a, "System.Text.Json.Serialization.JsonPropertyNameAttribute"))?.ConstructorArguments[0].Value as string
                ?? Names.CamelCase(property.Name);
            string typeName = property.Type.ToDisplayString(TypeFormat);
            string readHelper = "";
            string? column = null;
            string? number = null;
            if (!ignored && !extensionData)
            {
                (string file, int line) = Where(property);
                if (!Shapes.TryGetValue(typeName, out ValueShape shape))
                {
                    errors.Add(new DiagnosticInfo(UnsupportedType.Id, $"{type.Name}.{property.Name}|{typeName}", file, line));
                    continue;
                }

                if (typeName.StartsWith("int", StringComparison.Ordinal) || typeName.StartsWith("long", StringComparison.Ordinal))
                {
                    bool lenient = attributes.Any(a => Is(a, "System.Text.Json.Serialization.JsonConverterAttribute")
                        && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is ITypeSymbol converter
                        && converter.Name.StartsWith("Lenient", StringComparison.Ordinal));
                    if (!lenient)
                    {
                        errors.Add(new DiagnosticInfo(StrictInteger.Id, $"{type.Name}.{property.Name}", file, line));
                    }
                }

                if (property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is PropertyDeclarationSyntax { Initializer: not null })
                {
                    errors.Add(new DiagnosticInfo(Initializer.Id, $"{type.Name}.{property.Name}", file, line));
                }

                readHelper = shape.ReadHelper;
                column = shape.Column?.Replace("{0}", property.Name);
                number = shape.Number?.Replace("{0}", property.Name);
            }

            properties.Add(new PropertyModel(property.Name, jsonName, typeName, readHelper, column, number, ignored, extensionData,
                Has(attributes, SpecialColumnAttribute)));
        }

        return new SectionModel(type.Name, type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), properties.ToImmutable(), errors.ToImmutable());
    }

    private static bool Has(ImmutableArray<AttributeData> attributes, string name) => attributes.Any(a => Is(a, name));

    private static bool Is(AttributeData attribute, string name) => attribute.AttributeClass?.ToDisplayString() == name;

    private static (string File, int Line) Where(ISymbol symbol)
    {
        Location? location = symbol.Locations.FirstOrDefault();
        return location is null ? ("", 0) : (location.SourceTree?.FilePath ?? "", location.GetLineSpan().StartLinePosition.Line);
    }

    private static void Emit(SourceProductionContext output, ImmutableArray<SectionModel> models)
    {
        bool failed = false;
        foreach (DiagnosticInfo error in models.SelectMany(m => m.Errors))
        {
            failed = true;
            string[] parts = error.Message.Split('|');
            DiagnosticDescriptor descriptor = error.Id == UnsupportedType.Id ? UnsupportedType : error.Id == StrictInteger.Id ? StrictInteger : Initializer;
            Location location = error.FilePath.Length == 0
                ? Location.None
                : Location.Create(error.FilePath, default, new LinePositionSpan(new LinePosition(error.Line, 0), new LinePosition(error.Line, 0)));
            output.ReportDiagnostic(Diagnostic.Create(descriptor, location, parts.Cast<object>().ToArray()));
        }

        if (failed)
        {
            return;
        }

        SectionModel[] sections = [.. models.OrderBy(m => m.TypeName, StringComparer.Ordinal)];
        output.AddSource("FeatureRecordReader.Sections.g.cs", SourceText.From(ReaderSource(sections), Encoding.UTF8));
        output.AddSource("SectionColumns.g.cs", SourceText.From(ColumnsSource(sections), Encoding.UTF8));
    }

    /// <summary>The reader's key table and read method of every section.</summary>
    internal static string ReaderSource(IReadOnlyList<SectionModel> sections)
    {
        var code = new StringBuilder();
        code.Append("""
            // <auto-generated/>
            // Generated by Vince.FeatureStore.SchemaGenerator from the [RecordSection] records: edit those, not this file.
            #nullable enable
            using System.Text.Json;

            namespace Vince.FeatureStore;

            internal sealed partial class FeatureRecordReader
            {

            """);
        foreach (SectionModel section in sections)
        {
            PropertyModel[] read = [.. section.Properties.Where(p => !p.Ignored && !p.IsExtensionData)];
            bool hasExtension = section.Properties.Any(p => p.IsExtensionData);
            string keys = string.Join(", ", read.Select(p => Names.Literal(p.JsonName)));
            string ignored = string.Join(", ", section.Properties.Where(p => p.Ignored).Select(p => Names.Literal(p.JsonName)));
            code.Append($"    /// <summary>The JSON keys of <see cref=\"{section.FullTypeName}\"/>.</summary>\n");
            code.Append($"    internal static readonly KeyTable {section.TypeName}Keys = new([{keys}], ignored: [{ignored}]);\n\n");

            code.Append($"    /// <summary>Reads the <see cref=\"{section.FullTypeName}\"/> object the reader is on (after its start).</summary>\n");
            code.Append($"    private {section.FullTypeName} Read{section.TypeName}(ref Utf8JsonReader reader)\n    {{\n");
            foreach (PropertyModel property in read)
            {
                code.Append($"        {property.Type} {Local(property)} = default;\n");
            }

            code.Append("        global::System.Collections.Generic.Dictionary<string, JsonElement>? extension = null;\n");
            code.Append("        int next = 0;\n");
            code.Append($"        while (NextProperty(ref reader, ref extension, {section.TypeName}Keys, ref next, out int key))\n        {{\n");
            code.Append("            switch (key)\n            {\n");
            for (int i = 0; i < read.Length; i++)
            {
                code.Append($"                case {i}: {Local(read[i])} = {read[i].ReadHelper}(ref reader); break;\n");
            }

            code.Append("            }\n        }\n\n");
            code.Append($"        return new {section.FullTypeName}\n        {{\n");
            foreach (PropertyModel property in read)
            {
                code.Append($"            {property.Name} = {Local(property)},\n");
            }

            if (hasExtension)
            {
                code.Append($"            {section.Properties.First(p => p.IsExtensionData).Name} = extension,\n");
            }

            code.Append("        };\n    }\n\n");
        }

        code.Append("}\n");
        return code.ToString();
    }

    /// <summary>The flattener's known columns of every section and its keys that are no column of their own.</summary>
    internal static string ColumnsSource(IReadOnlyList<SectionModel> sections)
    {
        var code = new StringBuilder();
        code.Append("""
            // <auto-generated/>
            // Generated by Vince.FeatureStore.SchemaGenerator from the [RecordSection] records: edit those, not this file.
            #nullable enable

            namespace Vince.FeatureStore.Flattening;

            /// <summary>The scalar columns of every section, in declaration order, and the keys that are no column of their own.</summary>
            internal static class SectionColumns
            {

            """);
        foreach (SectionModel section in sections)
        {
            PropertyModel[] read = [.. section.Properties.Where(p => !p.Ignored && !p.IsExtensionData)];
            code.Append($"    /// <summary>The scalar properties of <see cref=\"{section.FullTypeName}\"/> as columns (key without the section prefix).</summary>\n");
            code.Append($"    public static readonly (string Key, global::System.Func<{section.FullTypeName}, {ColumnType}> Get)[] {section.TypeName} =\n    [\n");
            PropertyModel[] columns = [.. read.Where(p => p.Column is not null && !p.SpecialColumn)];
            foreach (PropertyModel property in columns)
            {
                code.Append($"        ({Names.Literal(property.JsonName)}, static s => {property.Column}),\n");
            }

            code.Append("    ];\n\n");

            // Scoring reads some sixty columns per call: one call per section and a switch of doubles per key, not the
            // table's delegates (a switch over struct values would also zero every arm's struct on each call).
            code.Append($"    /// <summary>Writes the number of column <c>keys[i]</c> (an index into <see cref=\"{section.TypeName}\"/>) of <paramref name=\"s\"/> to <c>numbers[slots[i]]</c>, as its value's <see cref=\"{ColumnType}.NumberOrNaN\"/>.</summary>\n");
            code.Append($"    public static void {section.TypeName}Numbers({section.FullTypeName} s, global::System.ReadOnlySpan<int> keys, global::System.ReadOnlySpan<int> slots, global::System.Span<double> numbers)\n    {{\n");
            code.Append("        for (int i = 0; i < keys.Length; i++)\n        {\n            numbers[slots[i]] = keys[i] switch\n            {\n");
            for (int i = 0; i < columns.Length; i++)
            {
                code.Append($"                {i} => {columns[i].Number},\n");
            }

            code.Append("                _ => throw new global::System.ArgumentOutOfRangeException(nameof(keys), keys[i], null),\n            };\n        }\n    }\n\n");
            code.Append($"    /// <summary>Keys of <see cref=\"{section.FullTypeName}\"/> that are lists or have a column rule of their own.</summary>\n");
            string other = string.Join(", ", read.Where(p => p.Column is null || p.SpecialColumn).Select(p => Names.Literal(p.JsonName)));
            code.Append($"    public static readonly string[] {section.TypeName}OtherKeys = [{other}];\n\n");
        }

        code.Append("}\n");
        return code.ToString();
    }

    // Suffixed when a property's camelCase name would clash with the read method's own locals.
    private static string Local(PropertyModel property)
    {
        string local = Names.Local(property.Name);
        return local is "reader" or "extension" or "next" or "key" ? local + "Value" : local;
    }
}
