namespace Vince.FeatureStore.Pipeline;

/// <summary>
/// Wakes every waiter each time <see cref="Set"/> is called. Waiters re-check their condition after
/// waking, so a missed wake-up between a check and a wait is impossible: take <see cref="WaitTask"/>
/// before checking.
/// </summary>
internal sealed class AsyncSignal
{
    private TaskCompletionSource _current = NewSource();

    /// <summary>A task that completes on the next <see cref="Set"/>.</summary>
    public Task WaitTask => Volatile.Read(ref _current).Task;

    public void Set()
    {
        TaskCompletionSource previous = Interlocked.Exchange(ref _current, NewSource());
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
