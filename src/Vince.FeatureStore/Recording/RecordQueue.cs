using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Diagnostics;

namespace Vince.FeatureStore.Recording;

/// <summary>
/// The bounded queue between the recording callers and the log writer, and what happens when it is full:
/// <see cref="QueueFullMode.DropAndCount"/> drops and counts, <see cref="QueueFullMode.Wait"/> waits up to
/// <see cref="FeatureStoreOptions.QueueFullTimeout"/> and then throws.
/// </summary>
internal sealed class RecordQueue
{
    private readonly Channel<PendingWrite> _channel;
    private readonly FeatureStoreOptions _options;
    private readonly FeatureStoreMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private long _accepted;
    private long _dropped;

    public RecordQueue(FeatureStoreOptions options, FeatureStoreMetrics metrics, ILogger logger, TimeProvider time)
    {
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _channel = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
    }

    /// <summary>The single reader: the log writer.</summary>
    public ChannelReader<PendingWrite> Reader => _channel.Reader;

    /// <summary>Items waiting for the log writer.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>Items accepted since creation; a flush waits until the writer has taken this many.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Items refused because the queue was full, since creation.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Adds <paramref name="item"/> when there is room (never waits).</summary>
    /// <returns><see langword="false"/> when the queue is full or closed.</returns>
    public bool TryAdd(PendingWrite item)
    {
        if (!_channel.Writer.TryWrite(item))
        {
            return false;
        }

        Accept();
        return true;
    }

    /// <summary>Applies the full-queue policy to an item <see cref="TryAdd"/> refused.</summary>
    /// <param name="item">The item.</param>
    /// <param name="id">Its record id, for the messages.</param>
    /// <exception cref="FeatureStoreFullException">The queue stayed full for the timeout (mode <see cref="QueueFullMode.Wait"/>).</exception>
    /// <returns><see langword="true"/> when the item was queued, <see langword="false"/> when it was dropped and counted.</returns>
    /// <exception cref="ObjectDisposedException">The queue was closed.</exception>
    public bool AddWhenFull(PendingWrite item, string id)
    {
        if (_options.QueueFullMode == QueueFullMode.DropAndCount)
        {
            long dropped = Interlocked.Increment(ref _dropped);
            _metrics.Dropped.Add(1);
            // One warning per power of two keeps a flood of drops from flooding the log too.
            if ((dropped & (dropped - 1)) == 0)
            {
                FeatureStoreLog.RecordDropped(_logger, _options.QueueCapacity, id, dropped);
            }

            return false;
        }

        using var timeout = new CancellationTokenSource(_options.QueueFullTimeout, _time);
        try
        {
            _channel.Writer.WriteAsync(item, timeout.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException ex)
        {
            Interlocked.Increment(ref _dropped);
            _metrics.Dropped.Add(1);
            throw new FeatureStoreFullException(
                $"The feature store queue stayed full ({_options.QueueCapacity} records) for {_options.QueueFullTimeout}; record {id} was not recorded. The JSONL log cannot keep up: check the disk, or raise QueueCapacity.", ex);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException("The feature store is disposed, or its log writer failed (see the log).", ex);
        }

        Accept();
        return true;
    }

    /// <summary>Accepts no more items; the writer still reads what is queued.</summary>
    /// <param name="failure">Why, when the writer failed: a waiting caller sees it.</param>
    public void Close(Exception? failure = null) => _channel.Writer.TryComplete(failure);

    private void Accept()
    {
        Interlocked.Increment(ref _accepted);
        _metrics.Recorded.Add(1);
    }
}
