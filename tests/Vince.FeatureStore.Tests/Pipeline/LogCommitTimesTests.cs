using Vince.FeatureStore.Jsonl;
using Vince.FeatureStore.Pipeline;

namespace Vince.FeatureStore.Tests.Pipeline;

/// <summary>When each stretch of the log became durable: the time a sink's lag is measured from.</summary>
public sealed class LogCommitTimesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 22, 12, 0, 0, TimeSpan.Zero);

    private static LogPosition At(long offset, string file = "features_2026-01-22_1769083200000.jsonl") => new(file, LogPosition.KeyOf(file), offset);

    [Fact]
    public void The_oldest_pending_data_is_dated_by_the_first_checkpoint_past_the_cursor()
    {
        var times = new LogCommitTimes(LogPosition.Start, T0);
        times.Committed(At(100), T0.AddSeconds(1));
        times.Committed(At(250), T0.AddSeconds(2));
        times.Committed(At(400), T0.AddSeconds(3));

        Assert.Equal(T0.AddSeconds(1), times.OldestPendingSince(LogPosition.Start));
        Assert.Equal(T0.AddSeconds(1), times.OldestPendingSince(At(50)));
        Assert.Equal(T0.AddSeconds(2), times.OldestPendingSince(At(100)));
        Assert.Equal(T0.AddSeconds(3), times.OldestPendingSince(At(300)));
        Assert.Null(times.OldestPendingSince(At(400)));
    }

    [Fact]
    public void Data_in_the_log_before_the_start_counts_from_the_start()
    {
        var times = new LogCommitTimes(At(1000), T0);
        times.Committed(At(1200), T0.AddMinutes(5));

        Assert.Equal(T0, times.OldestPendingSince(At(10)));
        Assert.Equal(T0.AddMinutes(5), times.OldestPendingSince(At(1000)));
    }

    [Fact]
    public void Beyond_its_capacity_the_oldest_checkpoints_merge_keeping_the_earlier_time_and_trim_drops_what_every_sink_passed()
    {
        var times = new LogCommitTimes(LogPosition.Start, T0, capacity: 3);
        for (int i = 1; i <= 6; i++)
        {
            times.Committed(At(i * 100), T0.AddSeconds(i));
        }

        Assert.Equal(3, times.Count);
        // Checkpoints 1–4 merged into one ending at 400 with the time of 1: a lag is never under-reported.
        Assert.Equal(T0.AddSeconds(1), times.OldestPendingSince(At(250)));
        Assert.Equal(T0.AddSeconds(5), times.OldestPendingSince(At(400)));

        times.Trim(At(500));
        Assert.Equal(1, times.Count);
        Assert.Equal(T0.AddSeconds(6), times.OldestPendingSince(At(500)));
    }
}
