using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Vince.FeatureStore.Postgres;

/// <summary>Validates the options of one <c>.AddPostgres(...)</c> registration when the host starts.</summary>
internal sealed class PostgresSinkOptionsValidator(string optionsName, bool hasDataSourceFactory, IServiceProviderIsService? isService, Func<string, string?> environment)
    : IValidateOptions<PostgresSinkOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresSinkOptions options)
    {
        if (!string.Equals(name, optionsName, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>(options.Validate());
        if (!string.Equals(options.Name, optionsName, StringComparison.Ordinal))
        {
            errors.Add($"Name '{options.Name}' differs from the registration's name '{optionsName}': name the sink with .AddPostgres(..., name: \"...\") instead.");
        }

        if (!hasDataSourceFactory)
        {
            string? error = CheckConnection(options.ConnectionString, isService?.IsService(typeof(NpgsqlDataSource)) == true, environment);
            if (error is not null)
            {
                errors.Add(error);
            }
        }

        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(e => $"Postgres sink '{options.Name}': {e}"));
    }

    /// <summary>Checks the connection the sink will use; the message never contains the connection string.</summary>
    internal static string? CheckConnection(string? connectionString, bool dataSourceInServices, Func<string, string?> environment)
    {
        string source = "ConnectionString";
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (dataSourceInServices)
            {
                return null;
            }

            connectionString = environment(PostgresConnectionString.UrlEnvironmentVariable);
            source = PostgresConnectionString.UrlEnvironmentVariable;
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                return $"no connection: set ConnectionString, register an NpgsqlDataSource in the services, or set the {PostgresConnectionString.UrlEnvironmentVariable} environment variable.";
            }
        }

        try
        {
            PostgresConnectionString.Normalize(connectionString);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"{source} is invalid: {ex.Message}";
        }
    }
}
