using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Vince.FeatureStore.Recording;

/// <summary>
/// The size check of <see cref="FeatureStoreOptions.MaxRecordBytes"/> on the recording path: the length of a value's
/// JSON, counted by serializing into a small scratch buffer that is reused (nothing of the size of the record is
/// allocated, so measuring a huge record costs no memory).
/// </summary>
internal static class RecordSizes
{
    [ThreadStatic]
    private static CountingBufferWriter? t_counter;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Throws when <paramref name="value"/>'s JSON is longer than <paramref name="maxBytes"/>.</summary>
    /// <param name="value">A record, execution or outcome.</param>
    /// <param name="typeInfo">Its serialization metadata (the one the log uses).</param>
    /// <param name="maxBytes">The limit (<see cref="FeatureStoreOptions.MaxRecordBytes"/>).</param>
    /// <param name="subject">What it is, for the message: "Record", "The outcome of record".</param>
    /// <param name="id">The record's id, for the message.</param>
    /// <param name="parameterName">The argument, for the exception.</param>
    /// <exception cref="ArgumentException">The JSON is longer than <paramref name="maxBytes"/>.</exception>
    public static void EnsureWithin<T>(T value, JsonTypeInfo<T> typeInfo, int maxBytes, string subject, string id, string parameterName)
    {
        long bytes = Measure(value, typeInfo);
        if (bytes > maxBytes)
        {
            // Refused here, to the caller, rather than written as a line that no reader or sink could take.
            throw new ArgumentException(
                $"{subject} {id} is {bytes} bytes of JSON, more than MaxRecordBytes ({maxBytes} bytes); it was not recorded. Keep large data out of feature records, or raise FeatureStoreOptions.MaxRecordBytes.",
                parameterName);
        }
    }

    private static long Measure<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        CountingBufferWriter counter = t_counter ??= new CountingBufferWriter();
        Utf8JsonWriter writer = t_writer ??= new Utf8JsonWriter(counter, new JsonWriterOptions { SkipValidation = true });
        counter.Reset();
        writer.Reset(counter);
        try
        {
            JsonSerializer.Serialize(writer, value, typeInfo);
            writer.Flush();
        }
        catch (Exception ex) when (ex is InvalidOperationException or JsonException or NotSupportedException)
        {
            // A value that cannot be serialized at all: the log writer refuses it and counts it (records.rejected).
            writer.Reset(counter);
            return 0;
        }

        return counter.Count;
    }

    /// <summary>Counts what is written and keeps none of it.</summary>
    private sealed class CountingBufferWriter : IBufferWriter<byte>
    {
        private byte[] _scratch = new byte[4096];

        public long Count { get; private set; }

        public void Reset() => Count = 0;

        public void Advance(int count) => Count += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Scratch(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Scratch(sizeHint);

        private byte[] Scratch(int sizeHint)
        {
            if (sizeHint > _scratch.Length)
            {
                _scratch = new byte[sizeHint];
            }

            return _scratch;
        }
    }
}
