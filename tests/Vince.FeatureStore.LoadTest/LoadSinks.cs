namespace Vince.FeatureStore.LoadTest;

/// <summary>A sink that accepts every batch at once and counts it (the healthy sink of the run).</summary>
internal sealed class CountingSink(string name) : IFeatureSink
{
    private long _received;

    public string Name { get; } = name;

    public long Received => Interlocked.Read(ref _received);

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _received, records.Count);
        return Task.CompletedTask;
    }
}

/// <summary>A sink whose first write never completes until the store stops (a database that hangs).</summary>
internal sealed class StalledSink(string name) : IFeatureSink
{
    private int _writes;

    public string Name { get; } = name;

    public int Writes => Volatile.Read(ref _writes);

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return Task.Delay(Timeout.Infinite, cancellationToken);
    }
}
