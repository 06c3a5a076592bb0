namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// The system clock, except that while the gate is closed any thread other than the producer blocks in
/// <see cref="GetUtcNow"/>. The store's log writer asks the clock for the time at the start of every append
/// (to pick or rotate the file), so closing the gate parks the background writer before it serializes
/// anything: during a measured iteration only the producer thread (the benchmark) allocates and runs.
/// </summary>
/// <remarks>
/// Benchmark harness only. If the writer stops consulting the clock before serializing, the gate just no
/// longer pauses it, and the Allocated column of the paused rows again includes the writer's allocations.
/// </remarks>
internal sealed class GatedTimeProvider : TimeProvider
{
    private readonly ManualResetEventSlim _open = new(initialState: true);
    private volatile int _producerThreadId = -1;

    /// <summary>Blocks every thread but the calling one in <see cref="GetUtcNow"/> until <see cref="Open"/>.</summary>
    public void CloseForOthers()
    {
        _producerThreadId = Environment.CurrentManagedThreadId;
        _open.Reset();
    }

    /// <summary>Lets blocked threads continue.</summary>
    public void Open() => _open.Set();

    public override DateTimeOffset GetUtcNow()
    {
        if (!_open.IsSet && Environment.CurrentManagedThreadId != _producerThreadId)
        {
            _open.Wait();
        }

        return base.GetUtcNow();
    }
}
