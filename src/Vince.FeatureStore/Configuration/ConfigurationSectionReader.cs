using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Vince.FeatureStore.Configuration;

/// <summary>
/// Reads the settings of one options section by key, without reflection (so the packages stay trim- and AOT-safe),
/// and remembers every key it was asked for: <see cref="UnknownKeys"/> then names each key of the section no setting
/// reads (a misspelt one), by its full configuration path. A value that does not parse throws an
/// <see cref="InvalidOperationException"/> naming the path and what was expected.
/// </summary>
internal sealed class ConfigurationSectionReader
{
    private readonly IConfiguration _configuration;
    private readonly HashSet<string> _known = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _knownInOrder = [];
    private readonly List<ConfigurationSectionReader> _sections = [];

    /// <summary>Creates a reader of <paramref name="configuration"/> (a section, or the root).</summary>
    /// <param name="configuration">The section holding the option keys.</param>
    public ConfigurationSectionReader(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _configuration = configuration;
        Path = configuration is IConfigurationSection section ? section.Path : "";
    }

    /// <summary>The full path of the section (empty for the root).</summary>
    public string Path { get; }

    /// <summary>A text value, trimmed; <see langword="null"/> when the key is missing or empty.</summary>
    /// <param name="key">The option's key.</param>
    /// <returns>The value.</returns>
    public string? Text(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        Know(key);
        return _configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
    }

    /// <summary>An integer (invariant culture).</summary>
    /// <param name="key">The option's key.</param>
    /// <returns>The value, or <see langword="null"/> when the key is missing or empty.</returns>
    public int? WholeNumber(string key)
        => Text(key) is { } text
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : throw Invalid(key, text, "an integer")
            : null;

    /// <summary>A number (invariant culture, '.' as the decimal point).</summary>
    /// <param name="key">The option's key.</param>
    /// <returns>The value, or <see langword="null"/> when the key is missing or empty.</returns>
    public double? Number(string key)
        => Text(key) is { } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : throw Invalid(key, text, "a number")
            : null;

    /// <summary>A flag: <c>true</c> or <c>false</c>.</summary>
    /// <param name="key">The option's key.</param>
    /// <returns>The value, or <see langword="null"/> when the key is missing or empty.</returns>
    public bool? Flag(string key)
        => Text(key) is { } text
            ? bool.TryParse(text, out bool value) ? value : throw Invalid(key, text, "true or false")
            : null;

    /// <summary>A time span such as <c>00:00:30</c> (invariant culture).</summary>
    /// <param name="key">The option's key.</param>
    /// <returns>The value, or <see langword="null"/> when the key is missing or empty.</returns>
    public TimeSpan? Duration(string key)
        => Text(key) is { } text
            ? System.TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan value) ? value : throw Invalid(key, text, "a time span such as 00:00:30")
            : null;

    /// <summary>A named value of <typeparamref name="TEnum"/> (case-insensitive; numbers are refused).</summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <param name="key">The option's key.</param>
    /// <returns>The value, or <see langword="null"/> when the key is missing or empty.</returns>
    public TEnum? Choice<TEnum>(string key)
        where TEnum : struct, Enum
    {
        if (Text(key) is not { } text)
        {
            return null;
        }

        string[] names = System.Enum.GetNames<TEnum>();
        return names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase)) is { } name
            ? System.Enum.Parse<TEnum>(name)
            : throw Invalid(key, text, names.Length == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1]);
    }

    /// <summary>An absolute URL.</summary>
    /// <param name="key">The option's key.</param>
    /// <returns>The value, or <see langword="null"/> when the key is missing or empty.</returns>
    public Uri? Url(string key)
        => Text(key) is { } text
            ? Uri.TryCreate(text, UriKind.Absolute, out Uri? value) ? value : throw Invalid(key, text, "an absolute URL")
            : null;

    /// <summary>A list: the values of the children <c>key:0</c>, <c>key:1</c>, … in order (not trimmed).</summary>
    /// <param name="key">The option's key.</param>
    /// <returns>The values, or <see langword="null"/> when the key has no children.</returns>
    public IReadOnlyList<string>? List(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        Know(key);
        List<IConfigurationSection> children = [.. _configuration.GetSection(key).GetChildren()];
        if (children.Count == 0)
        {
            return null;
        }

        var items = new List<(int Index, string Value)>(children.Count);
        foreach (IConfigurationSection child in children)
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || child.Value is null)
            {
                throw new InvalidOperationException($"Configuration key '{child.Path}' is not valid: '{Join(key)}' is a list (keys 0, 1, 2, … with a value each).");
            }

            items.Add((index, child.Value));
        }

        return items.OrderBy(i => i.Index).Select(i => i.Value).ToList();
    }

    /// <summary>A map: each child <c>key:NAME</c> with its value (an empty value is <see langword="null"/>).</summary>
    /// <param name="key">The option's key.</param>
    /// <returns>The entries, or <see langword="null"/> when the key has no children.</returns>
    public IReadOnlyDictionary<string, string?>? Map(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        Know(key);
        var map = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (IConfigurationSection child in _configuration.GetSection(key).GetChildren())
        {
            map[child.Key] = string.IsNullOrEmpty(child.Value) ? null : child.Value;
        }

        return map.Count == 0 ? null : map;
    }

    /// <summary>A nested section whose own keys are read (and checked) by the returned reader.</summary>
    /// <param name="key">The section's key.</param>
    /// <returns>A reader of the section.</returns>
    public ConfigurationSectionReader Section(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        Know(key);
        var reader = new ConfigurationSectionReader(_configuration.GetSection(key));
        _sections.Add(reader);
        return reader;
    }

    /// <summary>
    /// The full configuration path (e.g. <c>VinceFeatureStore:Postgres:Tabel</c>) of every key in the section, or in a
    /// nested section read with <see cref="Section"/>, that was never read: call it after reading every setting.
    /// </summary>
    /// <returns>The unknown keys' paths, in the configuration's order.</returns>
    public IReadOnlyList<string> UnknownKeys()
    {
        var unknown = new List<string>();
        foreach (IConfigurationSection child in _configuration.GetChildren())
        {
            if (!_known.Contains(child.Key))
            {
                unknown.Add(child.Path);
            }
        }

        foreach (ConfigurationSectionReader section in _sections)
        {
            unknown.AddRange(section.UnknownKeys());
        }

        return unknown;
    }

    /// <summary>The keys read so far, for messages listing the known settings.</summary>
    /// <returns>The keys in the order first read.</returns>
    public IReadOnlyList<string> KnownKeys() => _knownInOrder;

    private void Know(string key)
    {
        if (_known.Add(key))
        {
            _knownInOrder.Add(key);
        }
    }

    private string Join(string key) => Path.Length == 0 ? key : Path + ":" + key;

    private InvalidOperationException Invalid(string key, string value, string expected)
        => new($"Configuration value '{value}' of '{Join(key)}' is not valid: expected {expected}.");
}
