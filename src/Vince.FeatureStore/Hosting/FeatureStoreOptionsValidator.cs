using Microsoft.Extensions.Options;

namespace Vince.FeatureStore;

/// <summary>
/// Validates <see cref="FeatureStoreOptions"/> when the host starts, and that no two sink registrations share a name
/// (the name is the sink's cursor file, status and health check).
/// </summary>
internal sealed class FeatureStoreOptionsValidator(IEnumerable<SinkNameReservation> reservations) : IValidateOptions<FeatureStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, FeatureStoreOptions options)
    {
        var errors = new List<string>(options.Validate());
        foreach (IGrouping<string, SinkNameReservation> shared in reservations.GroupBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"{shared.Count()} sinks are named '{shared.Key}' ({string.Join(", ", shared.Select(r => r.RegisteredBy))}): give each its own name " +
                "(e.g. .AddPostgres(..., name: \"archive\")); the name keys the sink's cursor file, status and health check.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => "VinceFeatureStore: " + e));
    }
}

/// <summary>A sink name taken by one registration (see <see cref="FeatureStoreBuilder.ReserveSinkName"/>).</summary>
internal sealed record SinkNameReservation(string Name, string RegisteredBy);
