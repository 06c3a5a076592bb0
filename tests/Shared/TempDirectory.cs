namespace Vince.FeatureStore.Testing;

/// <summary>A fresh directory under the system temp folder, deleted on dispose. Shared by the test projects.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vince-fs-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] FeatureFiles() => Directory.GetFiles(Path, "features_*.jsonl").Select(System.IO.Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    public string[] AllFeatureLines() => FeatureFiles().SelectMany(f => System.IO.File.ReadAllLines(File(f))).ToArray();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
