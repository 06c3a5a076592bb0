using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Export;

/// <summary>
/// Writes RFC 4180 CSV (comma, CRLF, quotes doubled) as UTF-8 with invariant-culture round-trip numbers into
/// its own growing buffer: no strings per field, no text encoder, no interface calls per byte written.
/// Buffers come from the shared array pool (an export would otherwise allocate large arrays, which cost
/// full collections); dispose to return them.
/// </summary>
internal sealed class CsvRowWriter(int initialCapacity = 64 * 1024) : IDisposable
{
    // The longest round-trip double ("-1.7976931348623157E+308") is 24 bytes.
    private const int NumberBytes = 32;

    // Recently formatted numbers, direct-mapped by their bits: about the values of the last hundred rows.
    private const int CacheBits = 12;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    private ulong[]? _cacheBits;
    private byte[]? _cacheLengths;
    private byte[]? _cacheText;
    private int _length;
    private bool _rowStarted;

    /// <summary>The CSV written since the last <see cref="Clear"/>.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

    /// <summary>Forgets what was written; keeps the buffer.</summary>
    public void Clear()
    {
        _length = 0;
        _rowStarted = false;
    }

    public void Field(string? text)
    {
        Separator();
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            Write(text);
            return;
        }

        WriteByte((byte)'"');
        Write(text.Replace("\"", "\"\"", StringComparison.Ordinal));
        WriteByte((byte)'"');
    }

    public void Field(double value)
    {
        Separator();
        Span<byte> span = Reserve(NumberBytes);

        // Integral values below 1e15 (flags, dummies, counts, hours) print as their digits under "R" as well;
        // formatting them as integers is several times cheaper. -0 keeps its sign through "R".
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15 && !(value == 0 && double.IsNegative(value)))
        {
            ((long)value).TryFormat(span, out int digits, default, CultureInfo.InvariantCulture);
            _length += digits;
            return;
        }

        // Lag columns repeat the values of an asset's earlier rows: reuse their text (keyed by the exact bits).
        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        int slot = (int)((bits * 0x9E3779B97F4A7C15UL) >> (64 - CacheBits));
        if (_cacheLengths is null)
        {
            _cacheBits = ArrayPool<ulong>.Shared.Rent(1 << CacheBits);
            _cacheText = ArrayPool<byte>.Shared.Rent((1 << CacheBits) * NumberBytes);
            _cacheLengths = ArrayPool<byte>.Shared.Rent(1 << CacheBits);
            _cacheLengths.AsSpan().Clear(); // a pooled array holds old bytes: 0 marks an empty slot
        }

        int cached = _cacheLengths[slot];
        if (cached != 0 && _cacheBits![slot] == bits)
        {
            _cacheText!.AsSpan(slot * NumberBytes, cached).CopyTo(span);
            _length += cached;
            return;
        }

        if (!value.TryFormat(span, out int written, "R", CultureInfo.InvariantCulture))
        {
            Write(value.ToString("R", CultureInfo.InvariantCulture));
            return;
        }

        span[..written].CopyTo(_cacheText!.AsSpan(slot * NumberBytes));
        _cacheBits![slot] = bits;
        _cacheLengths[slot] = (byte)written;
        _length += written;
    }

    /// <summary>A flattened value as training-data text (<see cref="FeatureValue.ToString"/>), without the string.</summary>
    public void Field(FeatureValue value)
    {
        switch (value.Kind)
        {
            case FeatureValueKind.Number:
                Field(value.Number);
                break;
            case FeatureValueKind.Boolean:
                Separator();
                WriteByte(value.Number == 1 ? (byte)'1' : (byte)'0');
                break;
            case FeatureValueKind.Text:
                Field(value.Text);
                break;
            default:
                Separator();
                break;
        }
    }

    public void EndRow()
    {
        Reserve(2);
        _buffer[_length++] = (byte)'\r';
        _buffer[_length++] = (byte)'\n';
        _rowStarted = false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Separator()
    {
        if (_rowStarted)
        {
            WriteByte((byte)',');
        }

        _rowStarted = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteByte(byte value)
    {
        if (_length == _buffer.Length)
        {
            Grow(1);
        }

        _buffer[_length++] = value;
    }

    // Invalid UTF-16 (a lone surrogate) becomes U+FFFD, as with a UTF8Encoding text writer.
    private void Write(string text)
        => _length += Encoding.UTF8.GetBytes(text, Reserve(Encoding.UTF8.GetMaxByteCount(text.Length)));

    /// <summary>Free space of at least <paramref name="bytes"/> after what is written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int bytes)
    {
        if (_buffer.Length - _length < bytes)
        {
            Grow(bytes);
        }

        return _buffer.AsSpan(_length);
    }

    private void Grow(int bytes)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
        if (_cacheLengths is not null)
        {
            ArrayPool<ulong>.Shared.Return(_cacheBits!);
            ArrayPool<byte>.Shared.Return(_cacheText!);
            ArrayPool<byte>.Shared.Return(_cacheLengths);
            (_cacheBits, _cacheText, _cacheLengths) = (null, null, null);
        }
    }
}
