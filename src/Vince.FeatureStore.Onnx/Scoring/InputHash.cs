using System.Runtime.InteropServices;

namespace Vince.FeatureStore.Onnx.Scoring;

/// <summary>FNV-1a 64 over the little-endian bytes of an input vector: cheap, allocation-free, stable across processes.</summary>
internal static class InputHash
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Of(ReadOnlySpan<float> values)
    {
        ulong hash = Offset;
        foreach (byte b in MemoryMarshal.AsBytes(values))
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }
}
