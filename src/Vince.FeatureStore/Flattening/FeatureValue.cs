using System.Globalization;

namespace Vince.FeatureStore.Flattening;

/// <summary>What a <see cref="FeatureValue"/> holds.</summary>
public enum FeatureValueKind
{
    /// <summary>No value (the key is absent or null).</summary>
    Missing = 0,

    /// <summary>A number (<see cref="FeatureValue.Number"/>).</summary>
    Number,

    /// <summary>A boolean (<see cref="FeatureValue.Number"/> is 1 or 0).</summary>
    Boolean,

    /// <summary>A string (<see cref="FeatureValue.Text"/>).</summary>
    Text,
}

/// <summary>
/// One flattened column value. In a model matrix booleans become 1/0 and everything that is not a finite
/// number (missing, text, NaN) becomes 0, as in the Python training script.
/// </summary>
public readonly record struct FeatureValue
{
    private FeatureValue(FeatureValueKind kind, double number, string? text)
    {
        Kind = kind;
        Number = number;
        Text = text;
    }

    /// <summary>The missing value.</summary>
    public static FeatureValue Missing => default;

    /// <summary>What the value holds.</summary>
    public FeatureValueKind Kind { get; }

    /// <summary>The number, or 1/0 for a boolean; 0 otherwise.</summary>
    public double Number { get; }

    /// <summary>The text of a <see cref="FeatureValueKind.Text"/> value.</summary>
    public string? Text { get; }

    /// <summary>True unless <see cref="Kind"/> is <see cref="FeatureValueKind.Missing"/>.</summary>
    public bool HasValue => Kind != FeatureValueKind.Missing;

    /// <summary>A number; NaN counts as missing (JSON has no NaN).</summary>
    /// <param name="value">The number.</param>
    /// <returns>The value.</returns>
    public static FeatureValue Of(double value) => double.IsNaN(value) ? default : new(FeatureValueKind.Number, value, null);

    /// <summary>A nullable number.</summary>
    /// <param name="value">The number or <see langword="null"/>.</param>
    /// <returns>The value.</returns>
    public static FeatureValue Of(double? value) => value is { } v ? Of(v) : default;

    /// <summary>A boolean (1/0).</summary>
    /// <param name="value">The boolean.</param>
    /// <returns>The value.</returns>
    public static FeatureValue Of(bool value) => new(FeatureValueKind.Boolean, value ? 1 : 0, null);

    /// <summary>A nullable boolean.</summary>
    /// <param name="value">The boolean or <see langword="null"/>.</param>
    /// <returns>The value.</returns>
    public static FeatureValue Of(bool? value) => value is { } v ? Of(v) : default;

    /// <summary>A string; <see langword="null"/> is missing.</summary>
    /// <param name="value">The text.</param>
    /// <returns>The value.</returns>
    public static FeatureValue Of(string? value) => value is null ? default : new(FeatureValueKind.Text, 0, value);

    /// <summary>The number of a number or boolean (1/0); NaN when missing or text. A lag mean skips the NaNs.</summary>
    internal double NumberOrNaN => Kind is FeatureValueKind.Number or FeatureValueKind.Boolean ? Number : double.NaN;

    /// <summary>The value as a model input: numbers as they are, booleans 1/0, anything else 0.</summary>
    /// <returns>The model input.</returns>
    public double ToModelInput() => Kind is FeatureValueKind.Number or FeatureValueKind.Boolean && double.IsFinite(Number) ? Number : 0;

    /// <summary>The value as training-data text: invariant round-trip numbers, 1/0 for booleans, empty when missing.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Kind switch
    {
        FeatureValueKind.Number => Number.ToString("R", CultureInfo.InvariantCulture),
        FeatureValueKind.Boolean => Number == 1 ? "1" : "0",
        FeatureValueKind.Text => Text!,
        _ => "",
    };
}
