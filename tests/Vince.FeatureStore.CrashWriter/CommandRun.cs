using Vince.FeatureStore;

/// <summary>
/// CrashWriter --commands: a store driven line by line from standard input, so a test can change the file system
/// between steps (e.g. chmod as the store's non-root user). Each command answers one line:
/// <c>decision ID</c> and <c>outcome ID</c> record (answer "OK"), <c>flush</c> waits for the log ("FLUSHED"),
/// <c>exit</c> disposes the store ("DONE") and ends with 0. A command that throws answers "ERROR type: message".
/// </summary>
internal static class CommandRun
{
    public static async Task<int> RunAsync(string directory)
    {
        await using var store = new FeatureStore(new FeatureStoreOptions
        {
            DataDirectory = directory,
            FsyncOnWrite = false,
            RetryInitialDelay = TimeSpan.FromMilliseconds(50),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        });
        await store.StartAsync();
        Console.WriteLine("READY");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            string[] parts = line.Split(' ', 2);
            try
            {
                switch (parts[0])
                {
                    case "decision":
                        store.Record(new FeatureRecord { Id = parts[1], Timestamp = 1_769_100_000_000, Asset = "BTC", Market = new MarketFeatures { Price = 100_000 } });
                        Console.WriteLine("OK");
                        break;
                    case "outcome":
                        store.RecordOutcome(parts[1], new OutcomeFeatures { RealizedPnl = 1, ExitReason = "take_profit" });
                        Console.WriteLine("OK");
                        break;
                    case "flush":
                        await store.FlushAsync();
                        Console.WriteLine("FLUSHED");
                        break;
                    case "exit":
                        await store.DisposeAsync();
                        Console.WriteLine("DONE");
                        return 0;
                    default:
                        Console.WriteLine($"ERROR unknown command '{line}'");
                        break;
                }
            }
            catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or ArgumentException or IOException)
            {
                Console.WriteLine($"ERROR {ex.GetType().Name}: {ex.Message}");
            }
        }

        return 3; // standard input closed without "exit"
    }
}
