namespace Vince.FeatureStore.Postgres.Tests.Support;

public static class TestStores
{
    public static FeatureStoreOptions Options(string directory, Action<FeatureStoreOptions>? configure = null)
    {
        var options = new FeatureStoreOptions
        {
            DataDirectory = directory,
            FsyncOnWrite = false,
            RetryInitialDelay = TimeSpan.FromMilliseconds(20),
            RetryMaxDelay = TimeSpan.FromMilliseconds(200),
            ShutdownTimeout = TimeSpan.FromSeconds(20),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Waits for a condition driven by background work, failing after a generous limit.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }
}
