using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Tests.Records;

/// <summary>
/// Every scalar property of every section record is written, read back by both readers and flattened into its
/// column with the value it holds. A property the generated reader or column table misses fails here by name,
/// instead of landing in extension data and reading as 0 in training and scoring.
/// </summary>
public sealed class SectionPropertyTests
{
    private static readonly Type[] ScalarTypes =
        [typeof(double), typeof(double?), typeof(int), typeof(int?), typeof(long), typeof(long?), typeof(bool), typeof(bool?), typeof(string), typeof(JsonElement?)];

    private static IEnumerable<Type> SectionTypes() => typeof(FeatureRecord).Assembly.GetTypes()
        .Where(t => t.GetCustomAttribute<RecordSectionAttribute>() is not null);

    public static TheoryData<string, string> ScalarProperties()
    {
        var data = new TheoryData<string, string>();
        foreach (Type section in SectionTypes())
        {
            foreach (PropertyInfo property in Properties(section).Where(p => ScalarTypes.Contains(p.PropertyType)))
            {
                data.Add(section.Name, property.Name);
            }
        }

        return data;
    }

    [Fact]
    public void Every_section_of_the_record_is_a_generated_section()
    {
        Type[] sections = [.. typeof(FeatureRecord).GetProperties()
            .Select(p => p.PropertyType)
            .Where(t => t.Assembly == typeof(FeatureRecord).Assembly && t.IsClass)];

        Assert.Equal(9, sections.Length);
        Assert.Equal(sections.Select(t => t.Name).Order(), SectionTypes().Select(t => t.Name).Order());
    }

    [Fact]
    public void Every_property_of_every_section_is_a_scalar_or_a_list()
    {
        foreach (Type section in SectionTypes())
        {
            foreach (PropertyInfo property in Properties(section))
            {
                bool list = property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(IReadOnlyList<>);
                Assert.True(list || ScalarTypes.Contains(property.PropertyType), $"{section.Name}.{property.Name}: {property.PropertyType}");
            }
        }

        Assert.True(ScalarProperties().Count > 80); // the enumeration found the sections (87 scalar properties today)
    }

    [Theory]
    [MemberData(nameof(ScalarProperties))]
    public void A_scalar_property_round_trips_through_both_readers_and_flattens_to_its_value(string sectionName, string propertyName)
    {
        Type sectionType = SectionTypes().Single(t => t.Name == sectionName);
        PropertyInfo property = sectionType.GetProperty(propertyName)!;
        object value = DistinctiveValue(property);
        object section = Activator.CreateInstance(sectionType)!;
        property.SetValue(section, value);
        PropertyInfo slot = typeof(FeatureRecord).GetProperties().Single(p => p.PropertyType == sectionType);
        var record = new FeatureRecord { Id = "section-property", Timestamp = 1_769_000_000_000, Asset = "BTC" };
        slot.SetValue(record, section);

        byte[] json = FeatureJson.SerializeToUtf8Bytes(record);
        string key = JsonName(property);
        Assert.Contains($"\"{key}\":", System.Text.Encoding.UTF8.GetString(json), StringComparison.Ordinal);

        Assert.True(FeatureRecordReader.TryRead(json, out FeatureRecord? fast), "the fast reader left the line to the serializer");
        FeatureRecord slow = FeatureJson.Deserialize(json);
        foreach ((string reader, FeatureRecord read) in new[] { ("fast reader", fast), ("serializer", slow) })
        {
            object readSection = slot.GetValue(read)!;
            Assert.True(Same(value, property.GetValue(readSection)), $"{reader}: {sectionName}.{propertyName} read back as {property.GetValue(readSection) ?? "null"}");
            var extension = (Dictionary<string, JsonElement>?)sectionType.GetProperty("ExtensionData")!.GetValue(readSection);
            Assert.True(extension is null || !extension.ContainsKey(key), $"{reader}: '{key}' went to the extension data");
        }

        if (Prefix(sectionType) is not { } prefix)
        {
            return; // a section the flattener does not turn into columns (avoided)
        }

        string column = prefix + key;
        ColumnAccessor accessor = FeatureSchema.Resolve(column)?.Read ?? throw new InvalidOperationException($"No rule produces column {column}.");
        FeatureValue flattened = accessor(fast, false);
        Assert.True(Flattens(value, flattened), $"{column} flattened to {flattened.Kind} {flattened.Number} '{flattened.Text}'");

        var present = new List<KeyValuePair<string, FeatureValue>>();
        FeatureSchema.AddPresent(fast, present);
        Assert.Contains(present, p => p.Key == column && Flattens(value, p.Value));

        // The scoring path reads the same number through the generated switch: of the record, and of an earlier one as a lag.
        CompiledColumns compiled = FeatureFlattener.Compile([column, column + "_lag1", column + "_roll3"]);
        var history = new FeatureHistory();
        history.Add(fast with { Id = "earlier", Timestamp = fast.Timestamp - 1 });
        float[] vector = new float[3];
        compiled.Fill(fast, history, vector);
        float expected = (float)flattened.ToModelInput();
        Assert.Equal([expected, expected, expected], vector);
    }

    private static IEnumerable<PropertyInfo> Properties(Type section) => section
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetCustomAttribute<JsonExtensionDataAttribute>() is null && p.GetCustomAttribute<JsonIgnoreAttribute>() is null);

    private static string JsonName(PropertyInfo property)
        => property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    /// <summary>A value no property holds by default, different for each property.</summary>
    private static object DistinctiveValue(PropertyInfo property)
    {
        int salt = (property.DeclaringType!.Name + property.Name).Aggregate(0, (h, c) => ((h * 31) + c) & 0xFFFF);
        Type type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        return type switch
        {
            _ when type == typeof(double) => 1000.5 + salt,
            _ when type == typeof(int) => 7 + salt,
            _ when type == typeof(long) => 5_000_000_000L + salt,
            _ when type == typeof(bool) => true,
            _ when type == typeof(string) => $"{property.DeclaringType.Name}.{property.Name}",
            _ when type == typeof(JsonElement) => JsonSerializer.SerializeToElement(2.5 + salt),
            _ => throw new InvalidOperationException($"No distinctive value for {type}."),
        };
    }

    private static bool Same(object expected, object? actual) => expected is JsonElement e
        ? actual is JsonElement a && a.GetRawText() == e.GetRawText()
        : expected.Equals(actual);

    private static bool Flattens(object expected, FeatureValue value) => expected switch
    {
        string text => value.Kind == FeatureValueKind.Text && value.Text == text,
        bool flag => value.Kind == FeatureValueKind.Boolean && value.Number == (flag ? 1 : 0),
        JsonElement element => value.Kind == FeatureValueKind.Number && value.Number == element.GetDouble(),
        _ => value.Kind == FeatureValueKind.Number && value.Number == Convert.ToDouble(expected, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The column prefix of the section's flattening rules, or null when it is not flattened.</summary>
    private static string? Prefix(Type sectionType) => FeatureSchema.Sections
        .Where(s => s.GetType().GetGenericArguments()[0] == sectionType)
        .Select(s => s.Prefix)
        .SingleOrDefault();
}
