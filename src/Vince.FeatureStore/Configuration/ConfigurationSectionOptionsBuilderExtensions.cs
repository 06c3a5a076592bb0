using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Vince.FeatureStore.Configuration;

/// <summary>Binds options from a configuration section with a <see cref="ConfigurationSectionReader"/>, refusing unknown keys.</summary>
public static class ConfigurationSectionOptionsBuilderExtensions
{
    /// <summary>
    /// Binds the options from <paramref name="section"/> with <paramref name="bind"/> and registers a validator that fails
    /// (at start-up, with <c>ValidateOnStart</c>) for every key of the section <paramref name="bind"/> does not read,
    /// naming its full configuration path, so that a misspelt key is not silently ignored.
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
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new UnknownConfigurationKeysValidator<TOptions>(builder.Name, section, bind));
        return builder;
    }

    /// <summary>The message for keys no setting reads, naming each by its full path and the settings there are.</summary>
    /// <param name="optionsType">The options type, named in the message.</param>
    /// <param name="reader">The reader after reading every setting.</param>
    /// <returns>One message per unknown key (empty when there is none).</returns>
    public static IReadOnlyList<string> UnknownKeyErrors(Type optionsType, ConfigurationSectionReader reader)
    {
        ArgumentNullException.ThrowIfNull(optionsType);
        ArgumentNullException.ThrowIfNull(reader);
        return reader.UnknownKeys()
            .Select(path => $"Configuration key '{path}' is not a setting of {optionsType.Name} (misspelt?). Its settings are: {string.Join(", ", reader.KnownKeys())}.")
            .ToList();
    }
}

/// <summary>Fails validation for the keys of a bound section that no setting reads.</summary>
internal sealed class UnknownConfigurationKeysValidator<TOptions>(string? optionsName, IConfiguration section, Action<ConfigurationSectionReader, TOptions> bind)
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
        IReadOnlyList<string> errors = ConfigurationSectionOptionsBuilderExtensions.UnknownKeyErrors(typeof(TOptions), reader);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
