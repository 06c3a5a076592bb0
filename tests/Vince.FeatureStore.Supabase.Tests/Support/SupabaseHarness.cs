using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Vince.FeatureStore.Supabase.Tests.Support;

/// <summary>A fresh database (with or without the table), the PostgREST stand-in in front of it, and sinks pointing at it.</summary>
internal sealed class SupabaseHarness : IAsyncDisposable
{
    /// <summary>A distinctive key, searched for in every log and message to prove it never leaks.</summary>
    public const string ServiceKey = "sb-service-KEY-7f3a9c1e-DO-NOT-LEAK";

    private SupabaseHarness(string connectionString, PostgrestStandIn server)
    {
        ConnectionString = connectionString;
        Server = server;
    }

    public string ConnectionString { get; }

    public PostgrestStandIn Server { get; }

    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    public static async Task<SupabaseHarness> StartAsync(PostgresFixture fixture, bool createTable = true)
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("sb");
        string connectionString = fixture.Cluster.ConnectionString(database);
        if (createTable)
        {
            await PostgrestStandIn.CreateTableAsync(connectionString);
        }

        return new SupabaseHarness(connectionString, await PostgrestStandIn.StartAsync(connectionString, ServiceKey));
    }

    /// <summary>A sink on the stand-in with fast retries; the environment is ignored.</summary>
    public SupabaseFeatureSink Sink(Action<SupabaseOptions>? configure = null, ILogger? logger = null, TimeProvider? time = null, string key = ServiceKey)
    {
        var options = new SupabaseOptions { Url = Server.Url, ApiKey = key, InitialRetryDelay = TimeSpan.FromMilliseconds(5), RequestTimeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        HttpClient http = Http;
        return new SupabaseFeatureSink(options, () => http, logger, time, _ => null);
    }

    public Task<Dictionary<string, (DateTime CreatedAt, string Payload)>> RowsAsync()
        => Db.RowsAsync(ConnectionString, "public.vince_paper_bot_features");

    public List<SeenRequest> Posts() => Server.Requests.Where(r => r.Method == "POST").ToList();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>A fake clock that also records the due time of every timer created on it (retry waits, request timeouts).</summary>
internal sealed class RecordingTimeProvider : FakeTimeProvider
{
    private readonly List<TimeSpan> _dueTimes = [];

    public RecordingTimeProvider()
        : base(new DateTimeOffset(2026, 1, 22, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public IReadOnlyList<TimeSpan> DueTimes
    {
        get
        {
            lock (_dueTimes)
            {
                return [.. _dueTimes];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_dueTimes)
        {
            _dueTimes.Add(dueTime);
        }

        return base.CreateTimer(callback, state, dueTime, period);
    }
}
