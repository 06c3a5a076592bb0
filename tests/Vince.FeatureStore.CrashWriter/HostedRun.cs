using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore;

/// <summary>
/// CrashWriter --hosted: the store in a default generic host, as a bot runs it, with one sink that never succeeds.
/// Records <c>--records N</c> decisions, prints "READY", and runs until the host is stopped (SIGTERM, Ctrl+C).
/// <c>--host-timeout S</c> sets the host's ShutdownTimeout; the store keeps its default ShutdownTimeout.
/// </summary>
internal static class HostedRun
{
    public static async Task<int> RunAsync(string directory, string[] args)
    {
        int records = int.Parse(Option(args, "--records") ?? "100", CultureInfo.InvariantCulture);
        double hostTimeout = double.Parse(Option(args, "--host-timeout") ?? "30", CultureInfo.InvariantCulture);

        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(hostTimeout));
        builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = directory;
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(50);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
        }).AddSink(new NeverSucceedsSink());

        using IHost host = builder.Build();
        await host.StartAsync();
        IFeatureStore store = host.Services.GetRequiredService<IFeatureStore>();
        for (int i = 0; i < records; i++)
        {
            store.RecordDecision("BTC", market: new MarketFeatures { Price = 100_000 + i });
        }

        await store.FlushAsync();
        Console.WriteLine("READY");
        await host.WaitForShutdownAsync();
        Console.WriteLine("STOPPED");
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private sealed class NeverSucceedsSink : IFeatureSink
    {
        public string Name => "unreachable";

        public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
            => throw new IOException("the sink's server is unreachable");
    }
}
