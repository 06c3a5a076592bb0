using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>
/// FNV-1a 64 over the input vector's little-endian bytes taken eight at a time (the last word zero-padded when the width
/// is odd): cheap enough for every served score, allocation-free, stable across processes and machines.
/// </summary>
/// <remarks>Words rather than single bytes: one multiply per two floats instead of eight, the difference between the
/// hash costing a quarter of a small model's run and a few percent of it.</remarks>
internal static class InputHash
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Of(ReadOnlySpan<float> values)
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(values);
        ulong hash = Offset;
        int i = 0;
        for (; i + sizeof(ulong) <= bytes.Length; i += sizeof(ulong))
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..])) * Prime;
        }

        if (i < bytes.Length)
        {
            // An odd width leaves one float: its four bytes, zero-padded to a word.
            hash = (hash ^ BinaryPrimitives.ReadUInt32LittleEndian(bytes[i..])) * Prime;
        }

        return hash;
    }
}
