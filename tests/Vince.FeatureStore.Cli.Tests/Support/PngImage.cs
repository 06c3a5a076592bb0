using System.Buffers.Binary;
using System.IO.Compression;

namespace Vince.FeatureStore.Cli.Tests.Support;

/// <summary>
/// A minimal PNG decoder for screenshots: 8-bit greyscale, RGB or RGBA (with or without alpha), not interlaced, all five
/// row filters. Enough to look at the pixels a browser wrote.
/// </summary>
internal sealed class PngImage
{
    private PngImage(int width, int height, byte[][] rows, int channels)
    {
        Width = width;
        Height = height;
        Rows = rows;
        Channels = channels;
    }

    public int Width { get; }

    public int Height { get; }

    public int Channels { get; }

    private byte[][] Rows { get; }

    /// <summary>The grey level (0–255) of a pixel: the mean of its colour channels.</summary>
    public double Luminance(int x, int y)
    {
        byte[] row = Rows[y];
        int colours = Channels >= 3 ? 3 : 1;
        double sum = 0;
        for (int c = 0; c < colours; c++)
        {
            sum += row[(x * Channels) + c];
        }

        return sum / colours;
    }

    /// <summary>The variance of the grey level over every pixel.</summary>
    public double LuminanceVariance()
    {
        double sum = 0, squares = 0;
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                double l = Luminance(x, y);
                sum += l;
                squares += l * l;
            }
        }

        double n = (double)Width * Height;
        double mean = sum / n;
        return (squares / n) - (mean * mean);
    }

    /// <summary>Distinct colours (RGB) in the image, counted up to <paramref name="limit"/>.</summary>
    public int DistinctColours(int limit = 10_000)
    {
        var seen = new HashSet<int>();
        for (int y = 0; y < Height && seen.Count < limit; y++)
        {
            for (int x = 0; x < Width && seen.Count < limit; x++)
            {
                byte[] row = Rows[y];
                int i = x * Channels;
                seen.Add(Channels >= 3 ? (row[i] << 16) | (row[i + 1] << 8) | row[i + 2] : row[i]);
            }
        }

        return seen.Count;
    }

    /// <summary>Pixels within <paramref name="tolerance"/> per channel of the colour (r, g, b).</summary>
    public int CountColour(byte r, byte g, byte b, int tolerance = 8)
    {
        Assert.True(Channels >= 3, "a colour image");
        int count = 0;
        foreach (byte[] row in Rows)
        {
            for (int i = 0; i + 2 < row.Length; i += Channels)
            {
                count += Math.Abs(row[i] - r) <= tolerance && Math.Abs(row[i + 1] - g) <= tolerance && Math.Abs(row[i + 2] - b) <= tolerance ? 1 : 0;
            }
        }

        return count;
    }

    public static PngImage Load(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(file.AsSpan(0, 8).SequenceEqual(signature), $"{path} is not a PNG file");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (int offset = 8; offset < file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(offset));
            string type = System.Text.Encoding.ASCII.GetString(file, offset + 4, 4);
            ReadOnlySpan<byte> data = file.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]); // bit depth
                channels = data[9] switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => throw new NotSupportedException($"PNG colour type {data[9]}") };
                Assert.Equal(0, data[12]); // not interlaced
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            else if (type == "IEND")
            {
                break;
            }

            offset += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        byte[] raw = inflated.ToArray();
        int stride = width * channels;
        var rows = new byte[height][];
        byte[] previous = new byte[stride];
        for (int y = 0; y < height; y++)
        {
            int start = y * (stride + 1);
            byte filter = raw[start];
            byte[] row = raw.AsSpan(start + 1, stride).ToArray();
            for (int i = 0; i < stride; i++)
            {
                int left = i >= channels ? row[i - channels] : 0;
                int up = previous[i];
                int upLeft = i >= channels ? previous[i - channels] : 0;
                row[i] = (byte)(row[i] + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new NotSupportedException($"PNG filter {filter}"),
                });
            }

            rows[y] = row;
            previous = row;
        }

        return new PngImage(width, height, rows, channels);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
