namespace Vince.FeatureStore.Jsonl;

/// <summary>What <see cref="JsonlLineReader.ReadLineAsync"/> found.</summary>
internal enum JsonlLineKind
{
    /// <summary>A line ended by <c>\n</c>.</summary>
    Complete,

    /// <summary>Bytes at the end of the readable range with no <c>\n</c>: a torn write, or a line still being written.</summary>
    Unterminated,

    /// <summary>A line longer than the reader accepts; its bytes were passed over.</summary>
    Oversized,

    /// <summary>Nothing more to read.</summary>
    End,
}

/// <summary>
/// Reads <c>\n</c>-terminated lines from a file, starting at a byte offset, reporting where each line starts
/// and where the next begins so that callers can keep durable cursors. A UTF-8 BOM at the start of the file
/// and a <c>\r</c> before the <c>\n</c> are removed from the content.
/// </summary>
internal sealed class JsonlLineReader : IDisposable
{
    public const int DefaultMaxLineBytes = 16 * 1024 * 1024;

    private readonly FileStream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _eof;

    public JsonlLineReader(string path, long offset, int maxLineBytes = DefaultMaxLineBytes)
    {
        _stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        });
        _maxLineBytes = maxLineBytes;
        _buffer = new byte[64 * 1024];
        _stream.Position = offset;
        _bufferOffset = offset;
    }

    /// <summary>File offset of the next unread byte.</summary>
    public long Position => _bufferOffset + _start;

    /// <summary>Start offset of the last line returned.</summary>
    public long LineStart { get; private set; }

    /// <summary>
    /// Reads the next line, looking at no byte at or after <paramref name="limit"/>. The content excludes
    /// the line end and is valid until the next call.
    /// </summary>
    public async ValueTask<(JsonlLineKind Kind, ReadOnlyMemory<byte> Content)> ReadLineAsync(long limit, CancellationToken cancellationToken)
    {
        bool skippingOversized = false;
        while (true)
        {
            LineStart = Position;
            int available = (int)Math.Min(_end - _start, Math.Max(0, limit - Position));
            int newline = _buffer.AsSpan(_start, available).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int lineStart = _start;
                _start += newline + 1;
                if (skippingOversized || newline > _maxLineBytes)
                {
                    return (JsonlLineKind.Oversized, ReadOnlyMemory<byte>.Empty);
                }

                return (JsonlLineKind.Complete, Trim(lineStart, newline));
            }

            if (available >= _maxLineBytes)
            {
                // Pass over the oversized line's bytes without keeping them.
                skippingOversized = true;
                _start += available;
                available = 0; // those bytes are consumed: counting them again would move past the limit
            }

            bool atLimit = Position + available >= limit;
            if (_eof || atLimit)
            {
                if (available == 0 && !skippingOversized)
                {
                    return (JsonlLineKind.End, ReadOnlyMemory<byte>.Empty);
                }

                int lineStart = _start;
                _start += available;
                return skippingOversized
                    ? (JsonlLineKind.Oversized, ReadOnlyMemory<byte>.Empty)
                    : (JsonlLineKind.Unterminated, Trim(lineStart, available));
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private ReadOnlyMemory<byte> Trim(int start, int length)
    {
        long fileOffset = _bufferOffset + start;
        if (fileOffset == 0 && length >= 3 && _buffer[start] == 0xEF && _buffer[start + 1] == 0xBB && _buffer[start + 2] == 0xBF)
        {
            start += 3;
            length -= 3;
        }

        if (length > 0 && _buffer[start + length - 1] == (byte)'\r')
        {
            length--;
        }

        return _buffer.AsMemory(start, length);
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            // Keep the unread tail at the front so a line never straddles the buffer end.
            int remaining = _end - _start;
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, remaining);
            _bufferOffset += _start;
            _start = 0;
            _end = remaining;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }

    public void Dispose() => _stream.Dispose();
}
