using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Vince.FeatureStore.Configuration;

/// <summary>Binds options from a configuration section with a <see cref="ConfigurationSectionReader"/>, refusing unknown keys.</summary>
internal static class ConfigurationSectionOptionsBuilderExtensions
{
    /// <summary>
    /// Binds the options from <paramref name="section"/> with <paramref name="bind"/> and registers a validator that fails
    /// (at start-up, with <c>ValidateOnStart</c>) for every key of the section <paramref name="bind"/> does not read,
    /// naming its full configuration path, so that a misspelt key is not silently ignored. A sub-section that another
    /// registration binds (e.g. <c>VinceFeatureStore:Postgres</c> inside <c>VinceFeatureStore</c>) is not unknown.
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="builder">The options builder (its name is the options name).</param>
    /// <param name="section">The configuration section holding the options' keys.</param>
    /// <param name="bind">Reads every setting of the options from the reader; called once per options instance and once to find unknown keys.</param>
    /// <returns>The builder.</returns>
    public static OptionsBuilder<TOptions> BindSection<TOptions>(this OptionsBuilder<TOptions> builder, IConfiguration section, Action<ConfigurationSectionReader, TOptions> bind)
        where TOptions : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(bind);
        builder.Configure(options => bind(new ConfigurationSectionReader(section), options));
        string name = builder.Name;
        if (section is IConfigurationSection { Path.Length: > 0 } bound)
        {
            builder.Services.AddSingleton(new BoundConfigurationSection(bound.Path));
        }

        builder.Services.AddSingleton<IValidateOptions<TOptions>>(sp =>
            new UnknownConfigurationKeysValidator<TOptions>(name, section, bind, sp.GetServices<BoundConfigurationSection>()));
        return builder;
    }

    /// <summary>The message for keys no setting reads, naming each by its full path and the settings there are.</summary>
    /// <param name="optionsType">The options type, named in the message.</param>
    /// <param name="reader">The reader after reading every setting.</param>
    /// <returns>One message per unknown key (empty when there is none).</returns>
    public static IReadOnlyList<string> UnknownKeyErrors(Type optionsType, ConfigurationSectionReader reader)
        => UnknownKeyErrors(optionsType, reader, []);

    internal static IReadOnlyList<string> UnknownKeyErrors(Type optionsType, ConfigurationSectionReader reader, IEnumerable<BoundConfigurationSection> boundElsewhere)
    {
        ArgumentNullException.ThrowIfNull(optionsType);
        ArgumentNullException.ThrowIfNull(reader);
        return reader.UnknownKeys()
            .Where(path => !boundElsewhere.Any(b => b.LiesWithin(path)))
            .Select(path => $"Configuration key '{path}' is not a setting of {optionsType.Name} (misspelt?). Its settings are: {string.Join(", ", reader.KnownKeys())}.")
            .ToList();
    }
}

/// <summary>Fails validation for the keys of a bound section that no setting reads.</summary>
internal sealed class UnknownConfigurationKeysValidator<TOptions>(
    string? optionsName, IConfiguration section, Action<ConfigurationSectionReader, TOptions> bind, IEnumerable<BoundConfigurationSection> boundSections)
    : IValidateOptions<TOptions>
    where TOptions : class, new()
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (!string.Equals(name ?? Options.DefaultName, optionsName ?? Options.DefaultName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        // The keys a setting reads are the ones bind asks for: run it on a throw-away instance.
        var reader = new ConfigurationSectionReader(section);
        bind(reader, new TOptions());
        IReadOnlyList<string> errors = ConfigurationSectionOptionsBuilderExtensions.UnknownKeyErrors(typeof(TOptions), reader, boundSections);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The path of a section some registration binds (its keys are that registration's to check).</summary>
internal sealed record BoundConfigurationSection(string Path)
{
    /// <summary>Whether this section is the key at <paramref name="path"/> or lies inside it.</summary>
    public bool LiesWithin(string path)
        => string.Equals(Path, path, StringComparison.OrdinalIgnoreCase)
           || Path.StartsWith(path + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase);
}
