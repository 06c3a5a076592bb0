using System.Collections.Immutable;
using System.Text;

namespace Vince.FeatureStore.SchemaGenerator;

/// <summary>How the generated code reads and flattens one kind of property value.</summary>
internal readonly struct ValueShape(string readHelper, string? column, string? number = null)
{
    /// <summary>The reader's helper method that reads the value the JSON reader is on.</summary>
    public string ReadHelper { get; } = readHelper;

    /// <summary>The column expression over the section <c>s</c> (<c>{0}</c> is the property), or null when the value is no column (lists).</summary>
    public string? Column { get; } = column;

    /// <summary>
    /// The column's number over <c>s</c> (<c>{0}</c> is the property) with no struct built: the column value's number when it
    /// is a number or a boolean (1/0), NaN when it is missing or text. Null exactly when <see cref="Column"/> is.
    /// </summary>
    public string? Number { get; } = number;
}

/// <summary>One property of a section as the generated code needs it. Equatable, so the incremental pipeline can cache.</summary>
internal sealed class PropertyModel(string name, string jsonName, string type, string readHelper, string? column, string? number, bool ignored, bool isExtensionData, bool specialColumn)
    : IEquatable<PropertyModel>
{
    /// <summary>The C# name.</summary>
    public string Name { get; } = name;

    /// <summary>The JSON key (camelCase or <c>[JsonPropertyName]</c>).</summary>
    public string JsonName { get; } = jsonName;

    /// <summary>The fully qualified C# type, with its nullable annotation.</summary>
    public string Type { get; } = type;

    /// <summary>The reader helper (empty for ignored and extension-data properties).</summary>
    public string ReadHelper { get; } = readHelper;

    /// <summary>The column expression, or null when the value is not a column.</summary>
    public string? Column { get; } = column;

    /// <summary>The column's number expression (see <see cref="ValueShape.Number"/>), or null when the value is not a column.</summary>
    public string? Number { get; } = number;

    /// <summary><c>[JsonIgnore]</c>: its key is skipped when reading.</summary>
    public bool Ignored { get; } = ignored;

    /// <summary><c>[JsonExtensionData]</c>: the unknown keys.</summary>
    public bool IsExtensionData { get; } = isExtensionData;

    /// <summary><c>[SpecialColumn]</c>: the flattener resolves this column with its own rule.</summary>
    public bool SpecialColumn { get; } = specialColumn;

    public bool Equals(PropertyModel? other) => other is not null && Name == other.Name && JsonName == other.JsonName
        && Type == other.Type && ReadHelper == other.ReadHelper && Column == other.Column && Number == other.Number && Ignored == other.Ignored
        && IsExtensionData == other.IsExtensionData && SpecialColumn == other.SpecialColumn;

    public override bool Equals(object? obj) => Equals(obj as PropertyModel);

    public override int GetHashCode() => (Name.GetHashCode() * 31) ^ Type.GetHashCode();
}

/// <summary>One section type marked <c>[RecordSection]</c>, or the errors that keep it from being generated.</summary>
internal sealed class SectionModel(string typeName, string fullTypeName, ImmutableArray<PropertyModel> properties, ImmutableArray<DiagnosticInfo> errors)
    : IEquatable<SectionModel>
{
    /// <summary>The simple type name, e.g. <c>MarketFeatures</c>: it names the generated members.</summary>
    public string TypeName { get; } = typeName;

    /// <summary>The type with <c>global::</c>.</summary>
    public string FullTypeName { get; } = fullTypeName;

    /// <summary>Public instance properties in declaration order (the order the serializer writes them).</summary>
    public ImmutableArray<PropertyModel> Properties { get; } = properties;

    /// <summary>Why a property cannot be generated; reported as build errors.</summary>
    public ImmutableArray<DiagnosticInfo> Errors { get; } = errors;

    public bool Equals(SectionModel? other) => other is not null && FullTypeName == other.FullTypeName
        && Properties.SequenceEqual(other.Properties) && Errors.SequenceEqual(other.Errors);

    public override bool Equals(object? obj) => Equals(obj as SectionModel);

    public override int GetHashCode() => FullTypeName.GetHashCode();
}

/// <summary>A diagnostic without symbols or syntax (those would defeat caching).</summary>
internal readonly struct DiagnosticInfo(string id, string message, string filePath, int line) : IEquatable<DiagnosticInfo>
{
    public string Id { get; } = id;

    public string Message { get; } = message;

    public string FilePath { get; } = filePath;

    public int Line { get; } = line;

    public bool Equals(DiagnosticInfo other) => Id == other.Id && Message == other.Message && FilePath == other.FilePath && Line == other.Line;

    public override bool Equals(object? obj) => obj is DiagnosticInfo other && Equals(other);

    public override int GetHashCode() => Message.GetHashCode();
}

/// <summary>Text helpers.</summary>
internal static class Names
{
    /// <summary>System.Text.Json's camelCase policy (JsonCamelCaseNamingPolicy), so keys match the serializer's.</summary>
    public static string CamelCase(string name)
    {
        if (name.Length == 0 || !char.IsUpper(name[0]))
        {
            return name;
        }

        char[] chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (i == 1 && !char.IsUpper(chars[i]))
            {
                break;
            }

            bool hasNext = i + 1 < chars.Length;
            if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
            {
                if (chars[i + 1] == ' ')
                {
                    chars[i] = char.ToLowerInvariant(chars[i]);
                }

                break;
            }

            chars[i] = char.ToLowerInvariant(chars[i]);
        }

        return new string(chars);
    }

    /// <summary>A local variable name for a property (camelCase, escaped when it is a keyword).</summary>
    public static string Local(string propertyName)
    {
        string local = char.ToLowerInvariant(propertyName[0]) + propertyName.Substring(1);
        return Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(local) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + local : local;
    }

    /// <summary>A C# string literal.</summary>
    public static string Literal(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (char c in text)
        {
            builder.Append(c switch { '"' => "\\\"", '\\' => "\\\\", _ => c.ToString() });
        }

        return builder.Append('"').ToString();
    }
}
