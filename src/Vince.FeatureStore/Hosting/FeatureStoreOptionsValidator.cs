using Microsoft.Extensions.Options;

namespace Vince.FeatureStore;

/// <summary>Validates <see cref="FeatureStoreOptions"/> when the host starts.</summary>
internal sealed class FeatureStoreOptionsValidator : IValidateOptions<FeatureStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, FeatureStoreOptions options)
    {
        IReadOnlyList<string> errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => "VinceFeatureStore: " + e));
    }
}
