using System.Diagnostics;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>What one call allocates on the calling thread once the runtime is warm.</summary>
internal static class CallerAllocations
{
    /// <summary>
    /// Calls <paramref name="call"/> for at least a second first: tiered compilation (with dynamic PGO's instrumented tier)
    /// promotes methods in the background over the first few hundred milliseconds, and its one-off bookkeeping is counted
    /// on the calling thread. Then the mean bytes per call over <paramref name="calls"/> calls.
    /// </summary>
    public static double PerCall(Action call, int calls = 100_000)
    {
        long warmUntil = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            for (int i = 0; i < 1_000; i++)
            {
                call();
            }
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < calls; i++)
        {
            call();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)calls;
    }
}
