using System.Text;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Tests.Jsonl;

/// <summary>The line reader on oversized lines, in finished files and in a file still being written.</summary>
public sealed class JsonlLineReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_oversized_line_in_a_file_still_being_written_is_passed_over_without_corrupting_the_position()
    {
        // The writer has appended more than the limit and no newline yet: the reader must report it as oversized
        // and stay inside the file, never at a position past what it was allowed to read.
        string path = _dir.File("features.jsonl");
        byte[] content = Encoding.UTF8.GetBytes("{\"id\":\"a\"}\n" + new string('x', 300));
        await File.WriteAllBytesAsync(path, content);

        using var reader = new JsonlLineReader(path, 0, maxLineBytes: 100);
        var (kind, line) = await reader.ReadLineAsync(content.Length, CancellationToken.None);
        Assert.Equal(JsonlLineKind.Complete, kind);
        Assert.Equal("{\"id\":\"a\"}", Encoding.UTF8.GetString(line.Span));

        (kind, _) = await reader.ReadLineAsync(content.Length, CancellationToken.None);
        Assert.Equal(JsonlLineKind.Oversized, kind);
        Assert.InRange(reader.Position, 11, content.Length);

        (kind, _) = await reader.ReadLineAsync(content.Length, CancellationToken.None);
        Assert.Equal(JsonlLineKind.End, kind);
        Assert.Equal(content.Length, reader.Position);
    }

    [Fact]
    public async Task The_line_after_an_oversized_one_is_read_once_the_writer_ends_it()
    {
        string path = _dir.File("features.jsonl");
        string big = new('x', 5000);
        byte[] content = Encoding.UTF8.GetBytes(big + "\n{\"id\":\"b\"}\n");
        await File.WriteAllBytesAsync(path, content);

        using var reader = new JsonlLineReader(path, 0, maxLineBytes: 100);
        var (kind, _) = await reader.ReadLineAsync(content.Length, CancellationToken.None);
        Assert.Equal(JsonlLineKind.Oversized, kind);
        Assert.Equal(big.Length + 1, reader.Position);

        (kind, ReadOnlyMemory<byte> line) = await reader.ReadLineAsync(content.Length, CancellationToken.None);
        Assert.Equal(JsonlLineKind.Complete, kind);
        Assert.Equal("{\"id\":\"b\"}", Encoding.UTF8.GetString(line.Span));
        Assert.Equal(content.Length, reader.Position);
    }
}
