using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Vince.FeatureStore;
using Vince.FeatureStore.LoadTest;

// Sustained recording at the highest rate the pipeline holds, with one sink stalled, for each queue-full mode.
// Prints one Markdown table row per run. Usage:
//   dotnet run -c Release --project tests/Vince.FeatureStore.LoadTest -- [--seconds 60] [--mode wait|drop|both]
//       [--queue 10000] [--wait-timeout-ms 5000] [--producers 1] [--fsync true|false] [--data DIR]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int seconds = int.Parse(Option("--seconds") ?? "60", CultureInfo.InvariantCulture);
string modes = Option("--mode") ?? "both";
int queue = int.Parse(Option("--queue") ?? "10000", CultureInfo.InvariantCulture);
int producers = int.Parse(Option("--producers") ?? "1", CultureInfo.InvariantCulture);
bool fsync = bool.Parse(Option("--fsync") ?? "true");
TimeSpan waitTimeout = TimeSpan.FromMilliseconds(int.Parse(Option("--wait-timeout-ms") ?? "5000", CultureInfo.InvariantCulture));
string root = Option("--data") ?? Path.Combine(Path.GetTempPath(), "vince-load-" + Guid.NewGuid().ToString("N")[..8]);

Console.WriteLine($"# {seconds} s per run, queue {queue}, Wait timeout {waitTimeout.TotalMilliseconds} ms, {producers} producer thread(s), fsync {(fsync ? "on" : "off")}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine("| mode | queue | recorded/s | recorded | dropped (metric) | dropped (DroppedCount) | FeatureStoreFullException | lines in the log | healthy sink shipped | stalled sink lag | peak queue depth | managed heap before → peak | peak working set |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
bool ok = true;
foreach (QueueFullMode mode in modes switch { "wait" => [QueueFullMode.Wait], "drop" => [QueueFullMode.DropAndCount], _ => new[] { QueueFullMode.Wait, QueueFullMode.DropAndCount } })
{
    ok &= await RunAsync(mode);
}

return ok ? 0 : 1;

async Task<bool> RunAsync(QueueFullMode mode)
{
    string directory = Path.Combine(root, mode.ToString());
    using var listener = new MeterListener();
    long recordedMetric = 0, droppedMetric = 0, writtenMetric = 0, peakQueue = 0, stalledLag = 0;
    listener.InstrumentPublished = (instrument, l) =>
    {
        if (instrument.Meter.Name == "Vince.FeatureStore")
        {
            l.EnableMeasurementEvents(instrument);
        }
    };
    listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
    {
        switch (instrument.Name)
        {
            case "vince.featurestore.records.recorded": Interlocked.Add(ref recordedMetric, value); break;
            case "vince.featurestore.records.dropped": Interlocked.Add(ref droppedMetric, value); break;
            case "vince.featurestore.log.written": Interlocked.Add(ref writtenMetric, value); break;
            case "vince.featurestore.sink.lag" when tags.ToArray().Any(t => t.Key == "sink" && (string?)t.Value == "stalled"): stalledLag = value; break;
        }
    });
    listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
    {
        if (instrument.Name == "vince.featurestore.queue.depth")
        {
            peakQueue = Math.Max(peakQueue, value);
        }
    });
    listener.Start();

    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    var healthy = new CountingSink("healthy");
    var stalled = new StalledSink("stalled");
    var store = new FeatureStore(new FeatureStoreOptions
    {
        DataDirectory = directory,
        QueueCapacity = queue,
        QueueFullMode = mode,
        QueueFullTimeout = waitTimeout,
        FsyncOnWrite = fsync,
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    }, [healthy, stalled]);
    await store.StartAsync();

    long attempts = 0, fullExceptions = 0, peakHeap = heapBefore;
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
    var market = new MarketFeatures { Price = 97_000, PriceChange24h = -1.2, FundingPercentile = 70, AtrPct = 1.5, VolumeRatio = 1.1 };
    var session = new SessionFeatures { Session = "us", UtcHour = 15, DayOfWeek = 2, IsWeekend = false, IsOpenWindow = true };
    var signal = new SignalFeatures { Direction = "long", Strength = 65, Confidence = 60, Sources = ["A", "B"], SourceCount = 2 };
    var regime = new RegimeFeatures { VolatilityRegime = "normal", MarketRegime = "bullish" };
    string[] assets = ["BTC", "ETH", "SOL", "HYPE"];
    var clock = Stopwatch.StartNew();
    Task[] producing = Enumerable.Range(0, producers).Select(p => Task.Factory.StartNew(() =>
    {
        long n = 0;
        while (!stop.IsCancellationRequested)
        {
            n++;
            Interlocked.Increment(ref attempts);
            try
            {
                store.RecordDecision(assets[n & 3], market, session, signal, regime);
            }
            catch (FeatureStoreFullException)
            {
                Interlocked.Increment(ref fullExceptions);
            }
        }
    }, TaskCreationOptions.LongRunning)).ToArray();

    while (!stop.IsCancellationRequested)
    {
        await Task.Delay(100);
        listener.RecordObservableInstruments();
        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
    }

    await Task.WhenAll(producing);
    double elapsed = clock.Elapsed.TotalSeconds;
    await store.FlushAsync();
    listener.RecordObservableInstruments();
    long shipped = healthy.Received;
    long droppedByStore = store.DroppedCount;
    await store.DisposeAsync();
    listener.Dispose();
    long lines = Directory.GetFiles(directory, "features_*.jsonl").Sum(CountLines);
    long peakWorkingSet = Process.GetCurrentProcess().PeakWorkingSet64;

    Console.WriteLine($"| {mode} | {queue:N0} | {recordedMetric / elapsed:N0} | {recordedMetric:N0} | {droppedMetric:N0} | {droppedByStore:N0} | {fullExceptions:N0} | {lines:N0} | {shipped:N0} | {stalledLag / 1e6:N0} MB | {peakQueue:N0} | {heapBefore / 1e6:N1} → {peakHeap / 1e6:N1} MB | {peakWorkingSet / 1e6:N0} MB |");

    // The checks the run exists for: every attempt is either recorded or counted as dropped, everything recorded is in
    // the log, and the queue never held more than its capacity.
    var problems = new List<string>();
    if (recordedMetric + droppedMetric != attempts)
    {
        problems.Add($"attempts {attempts} != recorded {recordedMetric} + dropped {droppedMetric}");
    }

    if (droppedMetric != droppedByStore)
    {
        problems.Add($"the dropped metric {droppedMetric} differs from FeatureStore.DroppedCount {droppedByStore}");
    }

    if (lines != recordedMetric || writtenMetric != recordedMetric)
    {
        problems.Add($"recorded {recordedMetric}, log.written {writtenMetric}, lines on disk {lines}");
    }

    if (peakQueue > queue)
    {
        problems.Add($"the queue held {peakQueue} > capacity {queue}");
    }

    if (mode == QueueFullMode.Wait && droppedMetric != fullExceptions)
    {
        problems.Add($"Wait mode: {droppedMetric} dropped but {fullExceptions} FeatureStoreFullException(s)");
    }

    if (stalled.Writes != 1)
    {
        problems.Add($"the stalled sink was called {stalled.Writes} times");
    }

    foreach (string problem in problems)
    {
        Console.Error.WriteLine($"FAILED ({mode}): {problem}");
    }

    Directory.Delete(directory, recursive: true);
    return problems.Count == 0;
}

static long CountLines(string path)
{
    long count = 0;
    byte[] buffer = new byte[1 << 20];
    using FileStream stream = File.OpenRead(path);
    int read;
    while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
    {
        count += buffer.AsSpan(0, read).Count((byte)'\n');
    }

    return count;
}

string? Option(string name)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
