using Vince.FeatureStore;

namespace Vince.FeatureStore.Testing;

/// <summary>Store options for tests (no fsync, quick retries) and waiting on background work. Shared by the test projects.</summary>
public static class TestStores
{
    public static FeatureStoreOptions Options(string directory, Action<FeatureStoreOptions>? configure = null)
    {
        var options = new FeatureStoreOptions
        {
            DataDirectory = directory,
            FsyncOnWrite = false,
            RetryInitialDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
            ShutdownTimeout = TimeSpan.FromSeconds(20),
        };
        configure?.Invoke(options);
        return options;
    }

    public static async Task<FeatureStore> StartedAsync(string directory, IEnumerable<IFeatureSink>? sinks = null, Action<FeatureStoreOptions>? configure = null, TimeProvider? time = null)
    {
        var store = new FeatureStore(Options(directory, configure), sinks, timeProvider: time);
        await store.StartAsync();
        return store;
    }

    /// <summary>Waits for a condition driven by background work, failing after a generous limit.</summary>
    public static Task EventuallyAsync(Func<bool> condition, string what, int timeoutMs = 15_000)
        => EventuallyAsync(() => Task.FromResult(condition()), what, timeoutMs);

    /// <summary>Waits for an asynchronous condition (e.g. a query) driven by background work.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }
}
