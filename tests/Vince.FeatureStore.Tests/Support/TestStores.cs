using Vince.FeatureStore;

namespace Vince.FeatureStore.Tests.Support;

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
            ShutdownTimeout = TimeSpan.FromSeconds(10),
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
    public static async Task EventuallyAsync(Func<bool> condition, string what, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(10);
        }
    }
}
