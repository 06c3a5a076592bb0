using System.Collections;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using Vince.FeatureStore;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Tests.Support;

/// <summary>
/// Holds the hand-written record reader to System.Text.Json: the reference is always
/// <see cref="FeatureJson.Deserialize(ReadOnlySpan{byte})"/>, never the reader under test.
/// </summary>
internal static class RecordParity
{
    /// <summary>
    /// Checks one line: when the fast reader accepts it, the serializer accepts it too and both records are equal
    /// (the same bytes when written back, and property by property); in every case <see cref="RecordLine.TryParse"/>
    /// has the serializer's outcome and message. Returns whether the fast reader took the line.
    /// </summary>
    public static bool Check(byte[] line, string label)
    {
        FeatureRecord? expected = null;
        string? expectedError = null;
        try
        {
            expected = FeatureJson.Deserialize(line);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            expectedError = ex.Message;
        }

        bool fast = FeatureRecordReader.TryRead(line, out FeatureRecord? actual);
        if (fast)
        {
            Assert.True(expected is not null, $"{label}: the fast reader accepted a line the serializer rejects ({expectedError})");
            AssertSame(expected!, actual!, label);
        }

        // The log reader's outcome: the serializer's error message, or its own checks on a parsed record (id, timestamp, limits).
        bool parsed = RecordLine.TryParse(line, out FeatureRecord? viaLog, out string? error);
        if (expectedError is not null)
        {
            Assert.False(parsed, $"{label}: accepted, the serializer rejects it");
            Assert.Equal(expectedError, error);
        }
        else if (string.IsNullOrEmpty(expected!.Id) || expected.Timestamp <= 0)
        {
            Assert.False(parsed, $"{label}: accepted without id or timestamp");
        }
        else if (expected.Id.Length > 256 || expected.Asset?.Length > 256 || expected.Timestamp > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            // Beyond what the sinks can store (ids/assets of 256 characters, year 9999): the log reader skips it.
            Assert.False(parsed, $"{label}: accepted beyond the record limits");
        }
        else
        {
            Assert.True(parsed, $"{label}: rejected ({error}), the serializer accepts it");
            AssertSame(expected, viaLog!, label);
        }

        return fast;
    }

    public static void AssertSame(FeatureRecord expected, FeatureRecord actual, string label)
    {
        Assert.Equal(FeatureJson.Serialize(expected), FeatureJson.Serialize(actual));
        AssertDeepEqual(expected, actual, label);
    }

    /// <summary>Structural equality: runtime types, doubles by their bits, lists and dictionaries in order, JSON elements by kind and raw text.</summary>
    private static void AssertDeepEqual(object? expected, object? actual, string path)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: {Show(expected)} vs {Show(actual)}");
            return;
        }

        Assert.True(expected.GetType() == actual.GetType(), $"{path}: {expected.GetType()} vs {actual.GetType()}");
        switch (expected)
        {
            case double d:
                Assert.True(BitConverter.DoubleToInt64Bits(d) == BitConverter.DoubleToInt64Bits((double)actual), $"{path}: {d:R} vs {(double)actual:R}");
                return;
            case string or bool or int or long or DateTimeOffset:
                Assert.True(expected.Equals(actual), $"{path}: {Show(expected)} vs {Show(actual)}");
                return;
            case JsonElement element:
                // Raw bytes, not text: an unknown value may hold invalid UTF-8, which the serializer keeps as it is.
                var other = (JsonElement)actual;
                Assert.True(element.ValueKind == other.ValueKind, $"{path}: {element.ValueKind} vs {other.ValueKind}");
                Assert.True(JsonMarshal.GetRawUtf8Value(element).SequenceEqual(JsonMarshal.GetRawUtf8Value(other)), $"{path}: raw JSON differs");
                return;
            case Dictionary<string, JsonElement> dictionary:
                var otherDictionary = (Dictionary<string, JsonElement>)actual;
                Assert.True(ReferenceEquals(dictionary.Comparer, otherDictionary.Comparer), $"{path}: comparers differ");
                AssertSequence(dictionary, otherDictionary, path);
                return;
            case IEnumerable sequence:
                AssertSequence(sequence, (IEnumerable)actual, path);
                return;
            case KeyValuePair<string, JsonElement> pair:
                var otherPair = (KeyValuePair<string, JsonElement>)actual;
                Assert.True(pair.Key == otherPair.Key, $"{path}: key {pair.Key} vs {otherPair.Key}");
                AssertDeepEqual(pair.Value, otherPair.Value, $"{path}[{pair.Key}]");
                return;
        }

        Assert.True(expected.GetType().Namespace == typeof(FeatureRecord).Namespace, $"{path}: unexpected type {expected.GetType()}");
        foreach (PropertyInfo property in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length == 0)
            {
                (object? left, Type? leftError) = Get(property, expected);
                (object? right, Type? rightError) = Get(property, actual);
                Assert.True(leftError == rightError, $"{path}.{property.Name}: {leftError} vs {rightError}");
                AssertDeepEqual(left, right, $"{path}.{property.Name}");
            }
        }
    }

    // A computed property may throw (TimestampUtc of an out-of-range timestamp): then both must throw alike.
    private static (object? Value, Type? Error) Get(PropertyInfo property, object target)
    {
        try
        {
            return (property.GetValue(target), null);
        }
        catch (TargetInvocationException ex)
        {
            return (null, ex.InnerException?.GetType());
        }
    }

    private static void AssertSequence(IEnumerable expected, IEnumerable actual, string path)
    {
        List<object?> left = [.. expected.Cast<object?>()];
        List<object?> right = [.. actual.Cast<object?>()];
        Assert.True(left.Count == right.Count, $"{path}: {left.Count} vs {right.Count} items");
        for (int i = 0; i < left.Count; i++)
        {
            AssertDeepEqual(left[i], right[i], $"{path}[{i}]");
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
