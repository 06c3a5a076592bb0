namespace Vince.FeatureStore.Onnx.Tests.Training.Support;

/// <summary>Every file under a directory with its bytes, to prove a failure changed nothing.</summary>
public sealed class DirectorySnapshot
{
    private DirectorySnapshot(string directory, SortedDictionary<string, byte[]> files)
    {
        Directory = directory;
        Files = files;
    }

    public string Directory { get; }

    public SortedDictionary<string, byte[]> Files { get; }

    public static DirectorySnapshot Take(string directory)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(directory, path)] = File.ReadAllBytes(path);
        }

        return new DirectorySnapshot(directory, files);
    }

    public void AssertUnchanged()
    {
        DirectorySnapshot now = Take(Directory);
        Assert.Equal(Files.Keys, now.Files.Keys);
        foreach ((string name, byte[] bytes) in Files)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(now.Files[name]), $"{name} changed");
        }
    }

    /// <summary>Asserts no hidden staging directory is left next to the models directory.</summary>
    public static void AssertNoStagingLeft(string modelsDirectory)
    {
        string parent = Path.GetDirectoryName(Path.GetFullPath(modelsDirectory))!;
        Assert.Empty(System.IO.Directory.EnumerateDirectories(parent, "." + Path.GetFileName(Path.GetFullPath(modelsDirectory)) + ".*"));
    }
}
