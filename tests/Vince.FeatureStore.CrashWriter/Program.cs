using System.Globalization;
using Vince.FeatureStore;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

// Child process of the crash tests: records and prints "ACK <n>" after each flush, i.e. once the first n record
// versions are durable. The tests SIGKILL it at a random moment and check the log (and the sinks) afterwards.
//
//   CrashWriter <data-dir> [--prefix P] [--postgres CONNECTION] [--supabase URL] [--complete PREFIX:COUNT] [--exit-after N]
//
// Without options it records decisions "crash-<n>" forever (no sinks). --postgres / --supabase ship to those sinks
// (the Supabase key comes from SUPABASE_SERVICE_ROLE_KEY, never the command line); every 5th version then completes
// the decision recorded 3 before (RecordOutcome). --complete records outcomes for the decisions PREFIX-1..PREFIX-COUNT that the earlier run left open first (ids of
// an earlier, killed run: found in the log after the restart). --exit-after stops after N versions: flush, wait for
// the sinks, dispose, print "DONE". --serve MODELS scores every decision before recording it (ServeRun).
string directory = args[0];
if (args.Contains("--hosted"))
{
    return await HostedRun.RunAsync(directory, args);
}

if (args.Contains("--serve"))
{
    return await ServeRun.RunAsync(directory, args);
}

if (args.Contains("--commands"))
{
    return await CommandRun.RunAsync(directory);
}

string prefix = Option("--prefix") ?? "crash";
string? postgres = Option("--postgres");
string? supabase = Option("--supabase");
string? complete = Option("--complete");
long? exitAfter = Option("--exit-after") is { } e ? long.Parse(e, CultureInfo.InvariantCulture) : null;
bool withSinks = postgres is not null || supabase is not null;

var sinks = new List<IFeatureSink>();
using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
if (postgres is not null)
{
    sinks.Add(new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = postgres }));
}

if (supabase is not null)
{
    sinks.Add(new SupabaseFeatureSink(new SupabaseOptions { Url = new Uri(supabase), InitialRetryDelay = TimeSpan.FromMilliseconds(50) }, http));
}

await using var store = new FeatureStore(new FeatureStoreOptions
{
    DataDirectory = directory,
    FsyncOnWrite = true,
    RecordsPerFile = 250,
    RetryInitialDelay = TimeSpan.FromMilliseconds(50),
    RetryMaxDelay = TimeSpan.FromSeconds(1),
}, sinks);
await store.StartAsync();

if (complete is not null)
{
    string[] parts = complete.Split(':');
    for (int i = 1; i <= int.Parse(parts[1], CultureInfo.InvariantCulture); i++)
    {
        if (i % 5 is 4 or 1)
        {
            continue; // slot 4 of the earlier run was an outcome, not a decision; it completed decision 1 already
        }

        store.RecordOutcome($"{parts[0]}-{i}", Outcome(i));
    }
}

long n = 0;
string padding = new('x', 2000); // long lines make a kill mid-write likely
while (exitAfter is null || n < exitAfter)
{
    for (int i = 0; i < 50; i++)
    {
        n++;
        if (withSinks && n % 5 == 4)
        {
            store.RecordOutcome($"{prefix}-{n - 3}", Outcome(n));
            continue;
        }

        store.Record(new FeatureRecord
        {
            Id = $"{prefix}-{n}",
            Timestamp = 1_769_100_000_000 + n,
            Asset = "BTC",
            Market = new MarketFeatures { Price = 100_000 + n },
            DecisionDrivers = [padding],
        });
    }

    await store.FlushAsync();
    Console.WriteLine($"ACK {n}");
}

await store.WaitForSinksAsync();
await store.DisposeAsync();
Console.WriteLine("DONE");
return 0;

string? Option(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

static OutcomeFeatures Outcome(long n) => new() { RealizedPnl = (n % 7) - 3, ExitReason = n % 2 == 0 ? "take_profit" : "stop_loss", MaxAdverseExcursion = 0.5 };
