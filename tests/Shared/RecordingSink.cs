using System.Collections.Concurrent;
using Vince.FeatureStore;

namespace Vince.FeatureStore.Testing;

/// <summary>A sink that keeps what it receives and fails on demand: the test double for the sink contract. Shared by the test projects.</summary>
public sealed class RecordingSink(string name) : IFeatureSink
{
    private int _writeAttempts;

    public string Name { get; } = name;

    public ConcurrentQueue<FeatureRecord> Received { get; } = new();

    public ConcurrentQueue<int> BatchSizes { get; } = new();

    /// <summary>Decides per write attempt (1-based) whether to throw.</summary>
    public Func<int, bool> FailWhen { get; set; } = _ => false;

    /// <summary>Records the sink refuses permanently (<see cref="FeatureSinkFailureKind.RecordRejected"/>): a batch holding one fails whole.</summary>
    public Func<FeatureRecord, bool> RefuseWhen { get; set; } = _ => false;

    /// <summary>When set, writes wait for it (a stalled sink).</summary>
    public TaskCompletionSource? Gate { get; set; }

    public int WriteAttempts => Volatile.Read(ref _writeAttempts);

    public int Initializations { get; private set; }

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        Initializations++;
        return Task.CompletedTask;
    }

    public async Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
    {
        int attempt = Interlocked.Increment(ref _writeAttempts);
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (FailWhen(attempt))
        {
            throw new IOException($"{Name}: injected failure on attempt {attempt}");
        }

        if (records.FirstOrDefault(RefuseWhen) is { } refused)
        {
            throw new FeatureSinkException(FeatureSinkFailureKind.RecordRejected, $"{Name}: record {refused.Id} is refused", "Change the test.");
        }

        BatchSizes.Enqueue(records.Count);
        foreach (FeatureRecord record in records)
        {
            Received.Enqueue(record);
        }
    }

    /// <summary>The latest version per id, as an idempotent upsert target would hold it.</summary>
    public Dictionary<string, FeatureRecord> Table()
    {
        var table = new Dictionary<string, FeatureRecord>();
        foreach (FeatureRecord record in Received)
        {
            table[record.Id] = record;
        }

        return table;
    }
}
