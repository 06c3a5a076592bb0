namespace Vince.FeatureStore.Postgres.Tests.Support;

/// <summary>
/// Whether tests that need a real server may be skipped: only outside CI (<c>CI=true</c> makes them run, and so
/// fail with the fixture's message, when the server cannot start). A skip always shows its reason.
/// </summary>
internal static class ServerAvailability
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? PostgresSkipReason
        => !IsCi && PostgresCluster.FindBinDirectory() is null ? "Skipped outside CI: " + PostgresCluster.MissingMessage : null;

    public static string? PgliteSkipReason
        => !IsCi && PgliteServer.FindServerScript() is null ? "Skipped outside CI: " + PgliteServer.MissingMessage : null;
}

/// <summary>A fact that needs the PostgreSQL server binaries.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (ServerAvailability.PostgresSkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that needs the PostgreSQL server binaries.</summary>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute()
    {
        if (ServerAvailability.PostgresSkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A fact that needs node and the PGlite server package.</summary>
public sealed class PgliteFactAttribute : FactAttribute
{
    public PgliteFactAttribute()
    {
        if (ServerAvailability.PgliteSkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
