using Vince.FeatureStore;

// Child process of the crash test: records forever and prints "ACK <n>" after each flush, i.e. once the
// first n records are durable. The test SIGKILLs it at a random moment and checks the log on disk.
string directory = args[0];
await using var store = new FeatureStore(new FeatureStoreOptions
{
    DataDirectory = directory,
    FsyncOnWrite = true,
    RecordsPerFile = 250,
});
await store.StartAsync();
long n = 0;
string padding = new('x', 2000); // long lines make a kill mid-write likely
while (true)
{
    for (int i = 0; i < 50; i++)
    {
        n++;
        store.Record(new FeatureRecord
        {
            Id = $"crash-{n}",
            Timestamp = 1_769_100_000_000 + n,
            Asset = "BTC",
            Market = new MarketFeatures { Price = 100_000 + n },
            DecisionDrivers = [padding],
        });
    }

    await store.FlushAsync();
    Console.WriteLine($"ACK {n}");
}
