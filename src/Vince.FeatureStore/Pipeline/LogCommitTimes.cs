using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Pipeline;

/// <summary>
/// When each stretch of the log became durable, so a sink's lag can be told in time: the oldest byte a sink has not
/// acknowledged was committed at the time of the first checkpoint past its cursor. Bounded: beyond the capacity the
/// two oldest checkpoints merge (keeping the earlier time, so a lag is never under-reported), and checkpoints every
/// sink has passed are dropped.
/// </summary>
internal sealed class LogCommitTimes
{
    private readonly LinkedList<(LogPosition End, DateTimeOffset At)> _checkpoints = new();
    private readonly int _capacity;
    private readonly object _lock = new();

    /// <param name="committedAtStart">The end of the log when the store started; older data counts as committed at <paramref name="startedAt"/>.</param>
    /// <param name="startedAt">When the store started.</param>
    /// <param name="capacity">Most checkpoints kept.</param>
    public LogCommitTimes(LogPosition committedAtStart, DateTimeOffset startedAt, int capacity = 4096)
    {
        _capacity = Math.Max(2, capacity);
        if (committedAtStart != LogPosition.Start)
        {
            _checkpoints.AddLast((committedAtStart, startedAt));
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _checkpoints.Count;
            }
        }
    }

    /// <summary>Notes that the log is durable up to <paramref name="end"/> at <paramref name="at"/>.</summary>
    public void Committed(LogPosition end, DateTimeOffset at)
    {
        lock (_lock)
        {
            _checkpoints.AddLast((end, at));
            if (_checkpoints.Count > _capacity)
            {
                (LogPosition _, DateTimeOffset oldest) = _checkpoints.First!.Value;
                _checkpoints.RemoveFirst();
                _checkpoints.First!.Value = (_checkpoints.First.Value.End, oldest);
            }
        }
    }

    /// <summary>Drops the checkpoints at or before <paramref name="slowestCursor"/>: no sink needs them any more.</summary>
    public void Trim(LogPosition slowestCursor)
    {
        lock (_lock)
        {
            while (_checkpoints.First is { } first && slowestCursor.IsAtOrPast(first.Value.End))
            {
                _checkpoints.RemoveFirst();
            }
        }
    }

    /// <summary>When the oldest byte after <paramref name="cursor"/> was committed; <see langword="null"/> when nothing is pending.</summary>
    public DateTimeOffset? OldestPendingSince(LogPosition cursor)
    {
        lock (_lock)
        {
            foreach ((LogPosition end, DateTimeOffset at) in _checkpoints)
            {
                if (!cursor.IsAtOrPast(end))
                {
                    return at;
                }
            }

            return null;
        }
    }
}
