using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Vince.FeatureStore;
using Vince.FeatureStore.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Tests.Pipeline;

public sealed class SinkPipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Every_version_reaches_every_sink_in_order_per_id()
    {
        var a = new RecordingSink("a");
        var b = new RecordingSink("b");
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path, [a, b], o => { o.SinkBatchSize = 7; o.RecordsPerFile = 13; });

        var ids = new List<string>();
        for (int i = 0; i < 60; i++)
        {
            string id = store.RecordDecision(i % 2 == 0 ? "BTC" : "ETH", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + i));
            ids.Add(id);
            if (i % 3 == 0)
            {
                store.RecordExecution(id, Execution());
                store.RecordOutcome(id, Win(i));
            }
        }

        await store.WaitForSinksAsync();

        foreach (RecordingSink sink in new[] { a, b })
        {
            Assert.Equal(100, sink.Received.Count); // 60 decisions + 20 executions + 20 outcomes
            Assert.All(sink.BatchSizes, size => Assert.InRange(size, 1, 7));
            foreach (IGrouping<string, FeatureRecord> versions in sink.Received.GroupBy(r => r.Id))
            {
                // decision, then execution, then outcome: never out of order
                Assert.Equal(versions.Count() == 3 ? [false, true, true] : [false], versions.Select(v => v.Execution is not null));
                Assert.Equal(versions.Count() == 3 ? [false, false, true] : [false], versions.Select(v => v.IsComplete));
            }

            Assert.Equal(ids.Order(StringComparer.Ordinal), sink.Table().Keys.Order(StringComparer.Ordinal));
            Assert.Equal(1, sink.Initializations);
        }
    }

    [Fact]
    public async Task A_failing_sink_delays_neither_the_log_nor_another_sink_and_retries_until_it_recovers()
    {
        bool broken = true;
        var failing = new RecordingSink("failing") { FailWhen = _ => Volatile.Read(ref broken) };
        var healthy = new RecordingSink("healthy");
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path, [failing, healthy]);

        for (int i = 0; i < 50; i++)
        {
            store.Record(Decision($"r{i}", BaseTime + i));
        }

        await store.FlushAsync();
        Assert.Equal(50, _dir.AllFeatureLines().Length);
        await TestStores.EventuallyAsync(() => healthy.Received.Count == 50, "healthy sink has everything");
        await TestStores.EventuallyAsync(() => failing.WriteAttempts >= 3, "failing sink retried");
        Assert.Empty(failing.Received);
        FeatureSinkStatus status = store.GetSinkStatuses().Single(s => s.Name == "failing");
        Assert.True(status.ConsecutiveFailures >= 1);
        Assert.Contains("injected failure", status.LastError, StringComparison.Ordinal);
        Assert.True(status.PendingBytes > 0);

        Volatile.Write(ref broken, false);
        await store.WaitForSinksAsync();

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"r{i}"), failing.Received.Select(r => r.Id));
        FeatureSinkStatus recovered = store.GetSinkStatuses().Single(s => s.Name == "failing");
        Assert.Equal(0, recovered.ConsecutiveFailures);
        Assert.Null(recovered.LastError);
        Assert.Equal(0, recovered.PendingBytes);
    }

    [Fact]
    public async Task A_stalled_sink_does_not_block_recording_or_flushing()
    {
        var stalled = new RecordingSink("stalled") { Gate = new TaskCompletionSource() };
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path, [stalled]);

        for (int i = 0; i < 2000; i++)
        {
            store.Record(Decision($"r{i}", BaseTime + i));
        }

        await store.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2000, _dir.AllFeatureLines().Length);
        Assert.Empty(stalled.Received);

        stalled.Gate.SetResult();
        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2000, stalled.Received.Count);
    }

    [Fact]
    public async Task A_sink_that_was_down_catches_up_from_its_cursor_after_a_restart_without_resending()
    {
        var healthy = new RecordingSink("pg");
        await using (FeatureStore first = await TestStores.StartedAsync(_dir.Path, [healthy]))
        {
            for (int i = 0; i < 30; i++)
            {
                first.Record(Decision($"a{i}", BaseTime + i));
            }
        }

        Assert.Equal(30, healthy.Received.Count);
        string cursor = File.ReadAllText(Path.Combine(_dir.Path, ".cursors", "pg.json"));
        Assert.Contains("features_", cursor, StringComparison.Ordinal);

        // Second run: the sink is down for the whole run and shutdown gives up on it quickly.
        var down = new RecordingSink("pg") { FailWhen = _ => true };
        await using (FeatureStore second = await TestStores.StartedAsync(_dir.Path, [down], o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300)))
        {
            for (int i = 0; i < 20; i++)
            {
                second.Record(Decision($"b{i}", BaseTime + 100 + i));
            }

            await second.FlushAsync();
        }

        Assert.Empty(down.Received);

        // Third run: the sink is back and receives exactly what it missed, nothing it already had.
        var back = new RecordingSink("pg");
        await using (FeatureStore third = await TestStores.StartedAsync(_dir.Path, [back]))
        {
            await third.WaitForSinksAsync();
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"b{i}"), back.Received.Select(r => r.Id));
    }

    [Fact]
    public async Task A_new_sink_ships_the_existing_log_including_files_of_other_writers()
    {
        File.WriteAllText(_dir.File("features_2025-12-01_1764547200000.jsonl"), Line(Decision("ts-bot-1")) + "\n" + "{torn" + "\n" + Line(Complete("ts-bot-1")) + "\n");
        var sink = new RecordingSink("supabase");

        await using (FeatureStore store = await TestStores.StartedAsync(_dir.Path, [sink]))
        {
            store.Record(Decision("dotnet-1"));
            await store.WaitForSinksAsync();
        }

        Assert.Equal(["ts-bot-1", "ts-bot-1", "dotnet-1"], sink.Received.Select(r => r.Id));
        Assert.True(sink.Table()["ts-bot-1"].IsComplete);
    }

    [Fact]
    public async Task Dispose_waits_for_sinks_to_catch_up()
    {
        var slow = new SlowSink("slow", TimeSpan.FromMilliseconds(20));
        FeatureStore store = await TestStores.StartedAsync(_dir.Path, [slow], o => o.SinkBatchSize = 10);
        for (int i = 0; i < 100; i++)
        {
            store.Record(Decision($"r{i}", BaseTime + i));
        }

        await store.DisposeAsync();

        Assert.Equal(100, slow.Count);
    }

    [Fact]
    public void Sink_names_must_be_unique_and_file_safe()
    {
        var options = TestStores.Options(_dir.Path);
        Assert.Contains("unique", Assert.Throws<ArgumentException>(() => new FeatureStore(options, [new RecordingSink("x"), new RecordingSink("X")])).Message, StringComparison.Ordinal);
        Assert.Contains("not valid", Assert.Throws<ArgumentException>(() => new FeatureStore(options, [new RecordingSink("../escape")])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new FeatureStore(options, [new RecordingSink("")]));
        Assert.Throws<ArgumentException>(() => new FeatureStore(options, [new RecordingSink(".hidden")]));
    }

    [Fact]
    public async Task Metrics_count_recorded_written_retried_and_dropped()
    {
        // A meter factory of our own: other tests' stores running in parallel use other meters.
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meterFactory = services.GetRequiredService<IMeterFactory>();
        var measurements = new List<(string Name, long Value, string? Sink)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Vince.FeatureStore" && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? sink = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "sink")
                {
                    sink = tag.Value as string;
                }
            }

            lock (measurements)
            {
                measurements.Add((instrument.Name, value, sink));
            }
        });
        listener.Start();

        var flaky = new RecordingSink("flaky") { FailWhen = attempt => attempt <= 2 };
        await using (var store = new FeatureStore(TestStores.Options(_dir.Path), [flaky], meterFactory: meterFactory))
        {
            await store.StartAsync();
            for (int i = 0; i < 10; i++)
            {
                store.Record(Decision($"m{i}", BaseTime + i));
            }

            await store.WaitForSinksAsync();
            listener.RecordObservableInstruments();
        }

        long Sum(string name, string? sink = null)
        {
            lock (measurements)
            {
                return measurements.Where(m => m.Name == name && (sink is null || m.Sink == sink)).Sum(m => m.Value);
            }
        }

        Assert.Equal(10, Sum("vince.featurestore.records.recorded"));
        Assert.Equal(10, Sum("vince.featurestore.log.written"));
        Assert.Equal(10, Sum("vince.featurestore.sink.written", "flaky"));
        Assert.Equal(2, Sum("vince.featurestore.sink.retries", "flaky"));
        Assert.Equal(0, Sum("vince.featurestore.sink.lag", "flaky"));
        Assert.Equal(0, Sum("vince.featurestore.records.dropped"));
    }

    [Fact]
    public void Backoff_grows_exponentially_with_jitter_and_a_cap()
    {
        TimeSpan initial = TimeSpan.FromMilliseconds(100);
        TimeSpan cap = TimeSpan.FromSeconds(2);
        Assert.Equal(TimeSpan.FromMilliseconds(50), Vince.FeatureStore.Pipeline.RetryBackoff.Delay(1, initial, cap, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(100), Vince.FeatureStore.Pipeline.RetryBackoff.Delay(1, initial, cap, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(400), Vince.FeatureStore.Pipeline.RetryBackoff.Delay(3, initial, cap, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(300), Vince.FeatureStore.Pipeline.RetryBackoff.Delay(3, initial, cap, 0.5));
        Assert.Equal(cap, Vince.FeatureStore.Pipeline.RetryBackoff.Delay(10, initial, cap, 1));
        Assert.Equal(cap, Vince.FeatureStore.Pipeline.RetryBackoff.Delay(1000, initial, cap, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vince.FeatureStore.Pipeline.RetryBackoff.Delay(0, initial, cap, 1));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Directory_fsync_really_syncs_on_unix()
        // .NET cannot open a directory as a file on Unix; this guards the libc path that makes renames durable.
        => Assert.True(Vince.FeatureStore.Jsonl.FileSystemDurability.SyncDirectory(_dir.Path));

    private sealed class SlowSink(string name, TimeSpan delay) : IFeatureSink
    {
        private int _count;

        public string Name { get; } = name;

        public int Count => Volatile.Read(ref _count);

        public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            Interlocked.Add(ref _count, records.Count);
        }
    }
}
