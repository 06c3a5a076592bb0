using System.Text;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Tests.Recording;

/// <summary>
/// Every version the store writes carries an <c>updatedAt</c> that is strictly greater than its record's previous
/// version's, whatever the clock does, so the databases can keep the newest version whatever order versions arrive in.
/// </summary>
public sealed class RecordVersionOrderTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 1, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(2_000L, null, 2_000L)] // a first version: the clock
    [InlineData(2_000L, 1_000L, 2_000L)] // the clock is past the previous version
    [InlineData(2_000L, 2_000L, 2_001L)] // the same millisecond
    [InlineData(2_000L, 2_005L, 2_006L)] // several versions in one millisecond before, or the clock stepped back
    [InlineData(2_000L, -5L, 2_000L)] // not the store's own value
    [InlineData(2_000L, RecordLimits.MaxTimestamp, 2_000L)] // beyond year 9999: ignored rather than overflowing
    public void The_next_order_is_the_clock_unless_the_previous_version_is_not_older(long now, long? previous, long expected)
        => Assert.Equal(expected, RecordVersionOrder.Next(now, previous));

    [Fact]
    public void An_incoming_version_replaces_a_stored_one_unless_it_is_older_and_a_version_without_order_is_the_oldest()
    {
        FeatureRecord unversioned = Decision("a"), v1 = Decision("a") with { UpdatedAt = 1 }, v2 = Decision("a") with { UpdatedAt = 2 };
        Assert.True(RecordVersionOrder.Replaces(v2, v1));
        Assert.False(RecordVersionOrder.Replaces(v1, v2));
        Assert.True(RecordVersionOrder.Replaces(v1, v1)); // a tie: the incoming one (idempotent replay)
        Assert.True(RecordVersionOrder.Replaces(v1, unversioned));
        Assert.False(RecordVersionOrder.Replaces(unversioned, v1));
        Assert.True(RecordVersionOrder.Replaces(unversioned, unversioned)); // old rows keep last-writer-wins
    }

    [Fact]
    public void A_batch_keeps_the_newest_version_of_each_id_even_when_it_is_not_the_last()
    {
        FeatureRecord a3 = Decision("a") with { UpdatedAt = 3 }, a1 = Decision("a") with { UpdatedAt = 1 }, b = Decision("b");
        FeatureRecord bDone = Complete("b");
        List<FeatureRecord> latest = FeatureBatches.LastVersionPerId([a3, b, a1, bDone]);
        Assert.Equal([a3, bDone], latest);
    }

    [Fact]
    public async Task Versions_recorded_in_one_millisecond_get_strictly_increasing_orders()
    {
        var clock = new ManualClock(Noon);
        string id;
        await using (FeatureStore store = await TestStores.StartedAsync(_dir.Path, time: clock))
        {
            id = store.Record(Decision("same-ms"));
            store.RecordExecution(id, Execution());
            store.Record(Decision("other"));
            store.RecordOutcome(id, Win());
            await store.FlushAsync();
        }

        long now = Noon.ToUnixTimeMilliseconds();
        Assert.Equal([now, now + 1, now + 2], OrdersOf(id));
        Assert.Equal([now], OrdersOf("other"));
    }

    [Fact]
    public async Task A_clock_that_steps_back_still_gives_later_versions_higher_orders()
    {
        var clock = new ManualClock(Noon);
        await using (FeatureStore store = await TestStores.StartedAsync(_dir.Path, time: clock))
        {
            store.Record(Decision("back"));
            await store.FlushAsync();
            clock.Now = Noon.AddMinutes(-10);
            store.RecordExecution("back", Execution());
            await store.FlushAsync();
            clock.Now = Noon.AddMinutes(5);
            store.RecordOutcome("back", Win());
            await store.FlushAsync();
        }

        long noon = Noon.ToUnixTimeMilliseconds();
        Assert.Equal([noon, noon + 1, Noon.AddMinutes(5).ToUnixTimeMilliseconds()], OrdersOf("back"));
    }

    [Fact]
    public async Task After_a_restart_on_a_clock_behind_the_last_run_an_update_still_orders_after_the_logged_version()
    {
        await using (FeatureStore first = await TestStores.StartedAsync(_dir.Path, time: new ManualClock(Noon)))
        {
            first.Record(Decision("restart"));
            await first.FlushAsync();
        }

        // The next start's clock is an hour behind: the open record comes from the log scan, with its order.
        await using (FeatureStore second = await TestStores.StartedAsync(_dir.Path, time: new ManualClock(Noon.AddHours(-1))))
        {
            second.RecordExecution("restart", Execution());
            await second.FlushAsync();
        }

        long noon = Noon.ToUnixTimeMilliseconds();
        Assert.Equal([noon, noon + 1], OrdersOf("restart"));
    }

    [Fact]
    public async Task A_version_made_from_an_earlier_one_orders_after_it_even_when_the_store_no_longer_knows_the_record()
    {
        FeatureRecord read;
        await using (FeatureStore first = await TestStores.StartedAsync(_dir.Path, time: new ManualClock(Noon)))
        {
            first.Record(Complete("closed"));
            await first.FlushAsync();
            read = await new FeatureLogReader(_dir.Path).ReadRecordsAsync().SingleAsync();
        }

        await using (FeatureStore second = await TestStores.StartedAsync(_dir.Path, time: new ManualClock(Noon.AddHours(-1))))
        {
            second.Record(read with { DecisionDrivers = ["corrected"] });
            await second.FlushAsync();
        }

        long noon = Noon.ToUnixTimeMilliseconds();
        Assert.Equal([noon, noon + 1], OrdersOf("closed"));
    }

    [Fact]
    public void UpdatedAt_round_trips_is_read_by_the_fast_reader_as_the_serializer_reads_it_and_is_not_a_training_column()
    {
        FeatureRecord versioned = Complete("v") with { UpdatedAt = 1_769_100_000_123 };
        string line = FeatureJson.Serialize(versioned);
        Assert.Contains("\"updatedAt\":1769100000123", line);
        Assert.Equal(1_769_100_000_123, FeatureJson.Deserialize(line).UpdatedAt);
        Assert.True(RecordParity.Check(Encoding.UTF8.GetBytes(line), "updatedAt"), "a line with updatedAt fell back to the serializer");
        Assert.True(RecordParity.Check("""{"id":"n","timestamp":1,"asset":"BTC","updatedAt":null}"""u8.ToArray(), "updatedAt null"));

        // Without it, nothing is written: the lines of old logs and of the original bot stay as they were.
        Assert.DoesNotContain("updatedAt", FeatureJson.Serialize(Complete("v")));
        Assert.Equal(Flat(Complete("v")), Flat(versioned));
        Assert.DoesNotContain(FeatureFlattener.Flatten(versioned), c => c.Key.Contains("updated", StringComparison.OrdinalIgnoreCase));
    }

    private static string Flat(FeatureRecord record) => string.Join(";", FeatureFlattener.Flatten(record).Select(c => $"{c.Key}={c.Value}"));

    /// <summary>The <c>updatedAt</c> of every line of <paramref name="id"/> in the log, in log order.</summary>
    private long[] OrdersOf(string id)
        => [.. _dir.AllFeatureLines().Select(l => FeatureJson.Deserialize(l)).Where(r => r.Id == id).Select(r => r.UpdatedAt ?? -1)];

    /// <summary>A clock a test sets, forwards or back (timers and timestamps stay real).</summary>
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private long _ticks = now.UtcTicks; // read by the store's writer thread

        public DateTimeOffset Now
        {
            get => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _ticks, value.UtcTicks);
        }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
