using System.Runtime.ExceptionServices;

namespace Vince.FeatureStore.Postgres.Tests.Support;

/// <summary>
/// One PostgreSQL cluster shared by the tests of a collection or class; each test makes its own database.
/// Started only when the server binaries are there or CI=true. A start failure is kept and rethrown by every test
/// that uses <see cref="Cluster"/>, so those tests fail with the reason and tests that need no server still run.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresCluster? _cluster;
    private ExceptionDispatchInfo? _startFailure;

    internal PostgresCluster Cluster
    {
        get
        {
            _startFailure?.Throw();
            return _cluster ?? throw new InvalidOperationException(ServerAvailability.PostgresSkipReason ?? "The PostgreSQL cluster did not start.");
        }
    }

    public async Task InitializeAsync()
    {
        if (ServerAvailability.PostgresSkipReason is not null)
        {
            return;
        }

        try
        {
            _cluster = await PostgresCluster.StartNewAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            _startFailure = ExceptionDispatchInfo.Capture(new InvalidOperationException("The throwaway PostgreSQL cluster could not start: " + ex.Message, ex));
        }
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>One PGlite server shared by the tests of the "pglite" collection; start failures behave as in <see cref="PostgresFixture"/>.</summary>
public sealed class PgliteFixture : IAsyncLifetime
{
    private PgliteServer? _server;
    private ExceptionDispatchInfo? _startFailure;

    internal PgliteServer Server
    {
        get
        {
            _startFailure?.Throw();
            return _server ?? throw new InvalidOperationException(ServerAvailability.PgliteSkipReason ?? "The PGlite server did not start.");
        }
    }

    public async Task InitializeAsync()
    {
        if (ServerAvailability.PgliteSkipReason is not null)
        {
            return;
        }

        try
        {
            _server = await PgliteServer.StartNewAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            _startFailure = ExceptionDispatchInfo.Capture(new InvalidOperationException("The PGlite server could not start: " + ex.Message, ex));
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedPostgres : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}

[CollectionDefinition(Name)]
public sealed class SharedPglite : ICollectionFixture<PgliteFixture>
{
    public const string Name = "pglite";
}

/// <summary>Tests that read or set process-wide environment variables (POSTGRES_URL) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironment
{
    public const string Name = "environment";
}
