using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Tests.ModelSets;

/// <summary>The atomic model-set install on real directories: what is replaced, what is kept, and what readers can see.</summary>
public sealed class ModelSetInstallerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Models => Path.Combine(_dir.Path, "models");

    private static void Write(string directory, string name, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(directory, name))!);
        File.WriteAllText(Path.Combine(directory, name), content);
    }

    private static Dictionary<string, string> Contents(string directory)
        => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).ToDictionary(p => Path.GetRelativePath(directory, p), File.ReadAllText);

    private void AssertNoHiddenDirectories() => Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".*"));

    [Fact]
    public void A_missing_models_directory_is_created_from_the_staging_directory()
    {
        string staging = ModelSetInstaller.CreateStagingDirectory(Models, "train");
        Write(staging, "signal_quality.onnx", "model");
        Write(staging, "training_metadata.json", "{}");

        ModelSetSwap swap = ModelSetInstaller.Install(staging, Models);

        Assert.Equal(ModelSetSwap.Created, swap);
        Assert.Equal(new Dictionary<string, string> { ["signal_quality.onnx"] = "model", ["training_metadata.json"] = "{}" }, Contents(Models));
        Assert.False(Directory.Exists(staging));
        AssertNoHiddenDirectories();
    }

    [Fact]
    public void Installing_over_a_set_replaces_the_set_as_a_whole_and_keeps_every_other_file()
    {
        Directory.CreateDirectory(Models);
        Write(Models, "signal_quality.onnx", "old sq");
        Write(Models, "tp_optimizer.onnx", "old tp");
        Write(Models, "tp_optimizer_features.json", "old tp features");
        Write(Models, "tp_optimizer.joblib", "old joblib");
        Write(Models, "training_metadata.json", "old metadata");
        Write(Models, "improvement_report.md", "old report");
        Write(Models, "last_train_at.txt", "1");
        Write(Models, "notes.txt", "the host's own file");
        Write(Models, "archive/2025.onnx", "kept: subdirectories are not part of a set");

        string staging = ModelSetInstaller.CreateStagingDirectory(Models, "train");
        Write(staging, "signal_quality.onnx", "new sq");
        Write(staging, "signal_quality_features.json", "new sq features");
        Write(staging, "training_metadata.json", "new metadata");
        Write(staging, "last_train_at.txt", "2");

        ModelSetSwap swap = ModelSetInstaller.Install(staging, Models);

        // This machine is Linux (renameat2); elsewhere the fallback still installs the same content.
        Assert.Equal(OperatingSystem.IsLinux() ? ModelSetSwap.Exchanged : swap, swap);
        Assert.Equal(new Dictionary<string, string>
        {
            ["signal_quality.onnx"] = "new sq",
            ["signal_quality_features.json"] = "new sq features",
            ["training_metadata.json"] = "new metadata",
            ["last_train_at.txt"] = "2",
            ["notes.txt"] = "the host's own file",
            [Path.Combine("archive", "2025.onnx")] = "kept: subdirectories are not part of a set",
        }, Contents(Models));
        Assert.False(Directory.Exists(staging));
        AssertNoHiddenDirectories();
    }

    [Fact]
    public void The_installed_directory_keeps_the_permissions_of_the_one_it_replaces()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Directory.CreateDirectory(Models);
        const UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        File.SetUnixFileMode(Models, mode);
        string staging = ModelSetInstaller.CreateStagingDirectory(Models, "train");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(staging)); // owner-only while staged
        Write(staging, "training_metadata.json", "{}");

        ModelSetInstaller.Install(staging, Models);

        Assert.Equal(mode, File.GetUnixFileMode(Models));
    }

    [Fact]
    public void A_staging_directory_elsewhere_is_refused_and_nothing_changes()
    {
        Directory.CreateDirectory(Models);
        Write(Models, "signal_quality.onnx", "old");
        string elsewhere = Path.Combine(_dir.Path, "deeper", "staging");
        Directory.CreateDirectory(elsewhere);
        Write(elsewhere, "signal_quality.onnx", "new");

        ArgumentException error = Assert.Throws<ArgumentException>(() => ModelSetInstaller.Install(elsewhere, Models));

        Assert.Contains("must be a sibling of the models directory", error.Message, StringComparison.Ordinal);
        Assert.Equal("old", File.ReadAllText(Path.Combine(Models, "signal_quality.onnx")));
        Assert.Throws<ArgumentException>(() => ModelSetInstaller.Install(Path.Combine(_dir.Path, ".models.train-missing"), Models));
    }

    [Fact]
    public void Abandoned_staging_directories_are_deleted_and_young_or_foreign_ones_kept()
    {
        Directory.CreateDirectory(Models);
        string abandoned = ModelSetInstaller.CreateStagingDirectory(Models, "train");
        Write(abandoned, "signal_quality.onnx", "half written");
        string abandonedDownload = ModelSetInstaller.CreateStagingDirectory(Models, "download");
        string young = ModelSetInstaller.CreateStagingDirectory(Models, "train");
        string foreign = Path.Combine(_dir.Path, ".models.backup");
        string otherModels = Path.Combine(_dir.Path, $".other.train-{Guid.NewGuid():N}");
        Directory.CreateDirectory(foreign);
        Directory.CreateDirectory(otherModels);
        foreach (string old in new[] { abandoned, abandonedDownload, foreign, otherModels })
        {
            Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-2));
        }

        int deleted = ModelSetInstaller.DeleteStaleStagingDirectories(Models, TimeSpan.FromDays(1));

        Assert.Equal(2, deleted);
        Assert.False(Directory.Exists(abandoned));
        Assert.False(Directory.Exists(abandonedDownload));
        Assert.True(Directory.Exists(young));
        Assert.True(Directory.Exists(foreign));
        Assert.True(Directory.Exists(otherModels));
    }

    [Theory]
    [InlineData("signal_quality.onnx", true)]
    [InlineData("SL_OPTIMIZER.ONNX", true)]
    [InlineData("position_sizing.joblib", true)]
    [InlineData("tp_optimizer_features.json", true)]
    [InlineData("training_metadata.json", true)]
    [InlineData("improvement_report.md", true)]
    [InlineData("feature_manifest.json", true)]
    [InlineData("feature_bins.json", true)]
    [InlineData("model_report.json", true)]
    [InlineData("last_train_at.txt", false)]
    [InlineData("features.json", false)]
    [InlineData("README.md", false)]
    public void Which_files_belong_to_a_model_set(string fileName, bool expected)
        => Assert.Equal(expected, ModelSetInstaller.IsModelSetFile(fileName));

    /// <summary>
    /// Installs 150 sets, each unique, while readers read metadata, model, metadata again (as the scorer does): whenever
    /// both metadata reads agree, the model read between them must be the one that metadata names. Installing file by
    /// file into the live directory would fail this; swapping whole directories cannot.
    /// </summary>
    [Fact]
    public async Task Concurrent_readers_never_see_a_model_with_the_metadata_of_another_set()
    {
        Directory.CreateDirectory(Models);
        Install(0);
        using var stop = new CancellationTokenSource();
        long consistentReads = 0;
        long missing = 0;
        var mixes = new List<string>();
        // Dedicated threads, so the readers are not starved of thread-pool time while the installs run.
        Thread[] readers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    string before = File.ReadAllText(Path.Combine(Models, "training_metadata.json"));
                    byte[] model = File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx"));
                    string after = File.ReadAllText(Path.Combine(Models, "training_metadata.json"));
                    if (before != after)
                    {
                        continue;
                    }

                    string expected = JsonDocument.Parse(before).RootElement.GetProperty("sha256").GetString()!;
                    if (Convert.ToHexStringLower(SHA256.HashData(model)) != expected)
                    {
                        lock (mixes)
                        {
                            mixes.Add(before);
                        }
                    }

                    Interlocked.Increment(ref consistentReads);
                }
                catch (IOException)
                {
                    // FileNotFound / DirectoryNotFound: only possible with the two-rename fallback.
                    Interlocked.Increment(ref missing);
                }
            }
        })).ToArray();
        foreach (Thread reader in readers)
        {
            reader.Start();
        }

        await TestStores.EventuallyAsync(() => Interlocked.Read(ref consistentReads) >= 10, "the readers are running");
        long readsBeforeInstalls = Interlocked.Read(ref consistentReads);
        for (int n = 1; n <= 150; n++)
        {
            Install(n);
        }

        long readsDuringInstalls = Interlocked.Read(ref consistentReads) - readsBeforeInstalls;
        await stop.CancelAsync();
        foreach (Thread reader in readers)
        {
            reader.Join();
        }

        Assert.Empty(mixes);
        Assert.True(readsDuringInstalls > 0, "no read overlapped the installs");
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(0, missing); // the exchange leaves no moment without the directory
        }

        Assert.Contains("\"generation\":150", File.ReadAllText(Path.Combine(Models, "training_metadata.json")), StringComparison.Ordinal);
        AssertNoHiddenDirectories();
    }

    private void Install(int generation)
    {
        string staging = ModelSetInstaller.CreateStagingDirectory(Models, "train");
        byte[] model = Encoding.UTF8.GetBytes($"model of generation {generation} " + new string('x', 20_000 + generation));
        File.WriteAllBytes(Path.Combine(staging, "signal_quality.onnx"), model);
        File.WriteAllText(Path.Combine(staging, "training_metadata.json"),
            JsonSerializer.Serialize(new Dictionary<string, object> { ["generation"] = generation, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(model)) }));
        ModelSetInstaller.Install(staging, Models);
    }
}
