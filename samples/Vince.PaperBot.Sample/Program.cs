using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Onnx;
using Vince.PaperBot.Sample;

// Feature values and the summary are machine-read; keep them independent of the user's locale.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

(SampleArguments? arguments, string? error) = SampleArguments.Parse(args, VinceEnvironment.Process.AsFunc());
if (arguments is null)
{
    Console.Error.WriteLine($"error: {error}");
    Console.Error.WriteLine("Run with --help for usage.");
    return 2;
}

if (arguments.ShowHelp)
{
    Console.WriteLine(SampleArguments.Usage);
    return 0;
}

// The host gets no args: they are parsed above, and its command-line configuration would accept anything.
HostApplicationBuilder builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(arguments.Verbose ? LogLevel.Information : LogLevel.Warning);
// The bot's start-up line ("[VinceFeatureStore] Supabase dual-write enabled for ML …") shows at every verbosity.
builder.Logging.AddFilter(typeof(Vince.FeatureStore.Supabase.SupabaseFeatureSink).FullName, LogLevel.Information);
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout is for the summary
FeatureStoreBuilder features = builder.Services.AddVinceFeatureStore(o =>
{
    // Unset, the store resolves VINCE_FEATURE_STORE_DATA_DIR, then its default directory.
    if (arguments.DataDirectory is not null)
    {
        o.DataDirectory = arguments.DataDirectory;
    }
});

// The bot's database, when it has one: every record also goes to plugin_vince.paper_bot_features.
if (!string.IsNullOrWhiteSpace(VinceEnvironment.Process.Get(VinceEnvironment.PostgresUrl)))
{
    features.AddPostgres();
}

// Supabase dual-write when SUPABASE_URL (or a Supabase POSTGRES_URL) and a key are set; otherwise a no-op.
features.AddSupabase();

using IHost host = builder.Build();
try
{
    await host.StartAsync();
    ILogger logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Vince.PaperBot.Sample");
    // The bot records through the interface; the data directory is the concrete store's (the same singleton).
    IFeatureStore store = host.Services.GetRequiredService<IFeatureStore>();
    string directory = host.Services.GetRequiredService<FeatureStore>().DataDirectory;
    Console.Error.WriteLine(ShipTargets.Describe(directory, host.Services.GetServices<IFeatureSink>()));
    StrategySettings strategy = arguments.Aggressive ? StrategySettings.Aggressive : StrategySettings.Standard;
    var market = new PaperMarket(arguments.Assets, arguments.Seed);
    // Loaded after the start: the store's history is warm (from the log's tail, or the database when the log is empty).
    using OnnxModelSet? models = arguments.ModelsDirectory is { } modelsDirectory
        ? OnnxModelSet.Load(modelsDirectory, host.Services.GetRequiredService<FeatureStore>().History, meterFactory: host.Services.GetService<System.Diagnostics.Metrics.IMeterFactory>())
        : null;
    var bot = new PaperBot(store, market, strategy, new Random(arguments.Seed + 1), host.Services.GetRequiredService<ILogger<PaperBot>>(), models);
    var progress = new ProgressReporter(arguments.Trades, Console.Error, interactive: !Console.IsErrorRedirected);
    if (logger.IsEnabled(LogLevel.Information))
    {
        SampleLog.Starting(logger, arguments.Trades, string.Join(",", arguments.Assets), strategy.Describe(), arguments.Seed, directory);
    }

    var stopwatch = Stopwatch.StartNew();
    // SIGTERM and Ctrl+C stop the simulation early; what was recorded is still flushed and summarised.
    CancellationToken stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
    PaperRunStats run = bot.Run(arguments.Trades, progress, stopping);
    progress.Finish();

    await store.FlushAsync();
    // The wait for sinks gets the store's shutdown budget and ends at a signal: a sink that cannot succeed (its
    // server down) never holds the bot, and catches up from its cursor on the next start.
    using var sinkWait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    sinkWait.CancelAfter(ShutdownBudget(host.Services));
    try
    {
        await store.WaitForSinksAsync(sinkWait.Token);
    }
    catch (OperationCanceledException) when (sinkWait.IsCancellationRequested)
    {
        // Out of time or signalled: the host's stop below reports how far each sink is behind.
    }

    // The hosted service disposes the store (files closed); once the budget is spent it waits for no sink again.
    await host.StopAsync(sinkWait.Token);
    stopwatch.Stop();

    await RunSummary.PrintAsync(directory, arguments, strategy, run, stopwatch.Elapsed, store.GetSinkStatuses(), Console.Out, CancellationToken.None);
    if (run.Interrupted)
    {
        Console.Error.WriteLine($"Interrupted after {run.Completed} of {arguments.Trades} trades.");
        return 130;
    }

    return 0;
}
catch (Exception ex) when (ex is not OutOfMemoryException)
{
    // Start-up failures are already logged by the host; one line is enough unless asked for more.
    Console.Error.WriteLine(arguments.Verbose ? $"error: {ex}" : $"error: {ex.Message}");
    return 1;
}

// The store's own bound on waiting for sinks at shutdown, inside the host's.
static TimeSpan ShutdownBudget(IServiceProvider services)
{
    TimeSpan store = services.GetRequiredService<IOptions<FeatureStoreOptions>>().Value.ShutdownTimeout;
    TimeSpan host = services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
    return store < host ? store : host;
}
