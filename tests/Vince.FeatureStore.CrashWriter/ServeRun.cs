using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;

/// <summary>
/// CrashWriter --serve MODELS: a bot in a generic host that scores every decision with the model set against the
/// store's serving history before it records it (served scores kept under ml), as the README's serving loop does.
/// Decisions <c>--from N</c> on (default 1), <c>--count M</c> of them, are a function of their number only, so a
/// restarted run continues the same stream: decision n is "serve-n" on BTC, ETH or SOL, one minute apart, and every
/// 5th decision also completes the one 3 before. <c>--postgres CONNECTION</c> adds the Postgres sink and reader
/// (AddPostgres: the reader is the history's source when the log is empty).
/// Prints "WARM source records" after the start, "VECTOR n cold v1,v2,…" (the signal-quality input as served) per
/// decision, "ACK n" after each flush of 50; at the end waits for the sinks and prints "COLD c" (the scoring meter's
/// cold-history counter), then "HELD" and waits to be killed with --hold, else stops and prints "DONE".
/// </summary>
internal static class ServeRun
{
    private static readonly string[] Assets = ["BTC", "ETH", "SOL"];
    private static readonly string[] Sources = ["A", "B", "C"];

    public static async Task<int> RunAsync(string directory, string[] args)
    {
        string models = Option(args, "--serve")!;
        int from = int.Parse(Option(args, "--from") ?? "1", CultureInfo.InvariantCulture);
        int count = int.Parse(Option(args, "--count") ?? "500", CultureInfo.InvariantCulture);
        string? postgres = Option(args, "--postgres");

        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        FeatureStoreBuilder features = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = directory;
            o.FsyncOnWrite = true;
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(50);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(500);
        });
        if (postgres is not null)
        {
            features.AddPostgres(postgres);
        }

        using IHost host = builder.Build();
        long cold = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Vince.FeatureStore.Scoring" && instrument.Name == "vince.featurestore.scoring.cold_history")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref cold, value));
        listener.Start();

        await host.StartAsync();
        FeatureStore store = host.Services.GetRequiredService<FeatureStore>();
        // No warm start at all when the source failed (e.g. a first start: the Postgres table is made by the sink after it).
        ServingHistoryWarmStart? warm = store.History.WarmStart;
        Console.WriteLine($"WARM {warm?.Source.ToString() ?? "Failed"} {warm?.Records ?? 0}");
        using OnnxModelSet set = OnnxModelSet.Load(models, store.History, meterFactory: host.Services.GetRequiredService<IMeterFactory>());
        var traded = new HashSet<int>();
        for (int n = from; n < from + count; n++)
        {
            ScoredDecision scored = set.ScoreDecision(
                Assets[n % Assets.Length],
                market: new MarketFeatures { Price = 90_000 + n, PriceChange24h = -3 + (0.37 * (n % 17)), VolumeRatio = 0.8 + (0.05 * (n % 11)), FundingPercentile = 10 + (n % 80), LongShortRatio = 0.9 + (0.01 * (n % 23)), Dvol = 40 + (n % 13) },
                session: new SessionFeatures { UtcHour = n % 24, IsWeekend = n % 7 == 0, IsOpenWindow = n % 3 == 0 },
                signal: new SignalFeatures { Direction = n % 2 == 0 ? "long" : "short", Strength = 40 + (n % 55), Confidence = 50 + (n % 45), Sources = Sources.Take(1 + (n % 3)).Select(name => (SignalSource)name).ToArray() },
                regime: new RegimeFeatures { VolatilityRegime = n % 4 == 0 ? "high" : "normal", MarketRegime = (n % 3) switch { 0 => "bullish", 1 => "bearish", _ => "neutral" } },
                news: new NewsFeatures { MacroRiskEnvironment = n % 5 == 0 ? "risk_off" : "risk_on" },
                timestamp: DateTimeOffset.FromUnixTimeMilliseconds(1_769_100_000_000 + (n * 60_000L)),
                includeInputs: true);
            FeatureRecord record = scored.Passes ? scored.ToRecord() : scored.ToAvoided("signal quality below threshold");
            store.Record(record with { Id = $"serve-{n}" });
            if (scored.Passes)
            {
                traded.Add(n);
            }

            if (n % 5 == 0 && traded.Contains(n - 3))
            {
                store.RecordOutcome($"serve-{n - 3}", new OutcomeFeatures { RealizedPnl = (n % 7) - 3, ExitReason = "take_profit" });
            }

            ServedScore quality = scored.Find(TrainingModel.SignalQuality)!;
            Console.WriteLine($"VECTOR {n} {(quality.Score.ColdLags ? 1 : 0)} {string.Join(',', quality.Input!.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
            if ((n - from + 1) % 50 == 0)
            {
                await store.FlushAsync();
                Console.WriteLine($"ACK {n}");
            }
        }

        await store.FlushAsync();
        await store.WaitForSinksAsync();
        Console.WriteLine($"COLD {Interlocked.Read(ref cold)}");
        if (args.Contains("--hold"))
        {
            Console.WriteLine("HELD");
            await Task.Delay(Timeout.Infinite); // until SIGKILL: no disposal, no shutdown
        }

        await host.StopAsync();
        Console.WriteLine("DONE");
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
