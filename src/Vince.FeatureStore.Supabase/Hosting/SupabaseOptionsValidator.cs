using Microsoft.Extensions.Options;

namespace Vince.FeatureStore.Supabase;

/// <summary>Validates the options of one <c>.AddSupabase(...)</c> registration when the host starts.</summary>
internal sealed class SupabaseOptionsValidator(string optionsName, Func<string, string?> environment) : IValidateOptions<SupabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, SupabaseOptions options)
    {
        if (!string.Equals(name, optionsName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>(options.Validate());
        if (!string.Equals(options.Name, optionsName, StringComparison.Ordinal))
        {
            errors.Add($"Name '{options.Name}' differs from the registration's name '{optionsName}': name the sink with .AddSupabase(..., name: \"...\") instead.");
        }

        try
        {
            SupabaseSettings.Resolve(options, environment);
        }
        catch (ArgumentException ex)
        {
            errors.Add(ex.Message);
        }

        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(e => $"Supabase sink '{options.Name}': {e}"));
    }
}
