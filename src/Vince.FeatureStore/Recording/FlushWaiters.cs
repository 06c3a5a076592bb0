namespace Vince.FeatureStore.Recording;

/// <summary>
/// How many queued items the log writer has taken and made durable, and the callers of
/// <see cref="FeatureStore.FlushAsync"/> waiting for a count to be reached.
/// </summary>
internal sealed class FlushWaiters
{
    private readonly object _lock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private long _written;

    /// <summary>Items the writer has finished with (appended, or kept as unmatched updates).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Completes when <see cref="Written"/> reaches <paramref name="target"/>.</summary>
    /// <param name="target">The queue's accepted count at the time of the flush.</param>
    /// <param name="writer">The writer's loop: once it has ended, a target not reached never will be.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitAsync(long target, Task writer, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Written >= target)
            {
                return Task.CompletedTask;
            }

            if (writer.IsCompleted)
            {
                return Task.FromException(new ObjectDisposedException(nameof(FeatureStore), "The feature store stopped before these records were written."));
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Counts <paramref name="items"/> more as written and releases the waiters that reached their target.</summary>
    public void Advance(int items)
    {
        Interlocked.Add(ref _written, items);
        Complete(null);
    }

    /// <summary>The writer stopped: releases the waiters that reached their target and fails the others with <paramref name="failure"/>.</summary>
    public void Fail(Exception failure) => Complete(failure);

    private void Complete(Exception? failure)
    {
        long written = Written;
        lock (_lock)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                (long target, TaskCompletionSource done) = _waiters[i];
                if (written >= target)
                {
                    done.TrySetResult();
                }
                else if (failure is not null)
                {
                    done.TrySetException(failure);
                }
                else
                {
                    continue;
                }

                _waiters.RemoveAt(i);
            }
        }
    }
}
