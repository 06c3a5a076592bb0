using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;

namespace Vince.FeatureStore.Onnx.Tests.Training.Support;

/// <summary>
/// A model registry kept in a local directory: the latest run's files at <see cref="Root"/>, each rejected run under
/// <c>rejected-N/</c>; download installs with the library's atomic installer. Stands in for Supabase Storage where the
/// test is about the runner or the host, not HTTP (the Supabase tests cover the real Storage API and its layout).
/// </summary>
public sealed class DirectoryBucket(string root) : IModelBucket
{
    private const string MetadataFile = "training_metadata.json";

    public string Root { get; } = root;

    public Exception? Failure { get; set; }

    public int Uploads { get; private set; }

    public int Rejections { get; private set; }

    public int Downloads { get; private set; }

    public string Name => "directory:" + Root;

    private string LatestId => "run-" + Uploads;

    public Task<ModelRun> PublishAsync(string setDirectory, ModelGateResult? gate = null, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        Uploads++;
        Copy(setDirectory, Root);
        return Task.FromResult(new ModelRun(LatestId, LastTrainAt.Read(Root), ModelRunStatus.Latest));
    }

    public Task<ModelRun> RejectAsync(string setDirectory, ModelGateResult gate, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        Rejections++;
        string directory = Path.Combine(Root, "rejected-" + Rejections);
        Copy(setDirectory, directory);
        File.WriteAllText(Path.Combine(directory, "rejected.json"), gate.Reason);
        return Task.FromResult(new ModelRun("rejected-" + Rejections, LastTrainAt.Read(directory), ModelRunStatus.Rejected) { RejectionReason = gate.Reason });
    }

    public Task<ModelRun?> GetLatestAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        return Task.FromResult(File.Exists(Path.Combine(Root, MetadataFile)) ? new ModelRun(LatestId, LastTrainAt.Read(Root), ModelRunStatus.Latest) : null);
    }

    public async Task<IReadOnlyList<ModelRun>> ListRunsAsync(CancellationToken cancellationToken = default)
        => await GetLatestAsync(cancellationToken) is { } latest ? [latest] : [];

    public Task<DateTimeOffset?> GetLastTrainingTimeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        DateTimeOffset?[] times = [.. Directory.Exists(Root) ? Directory.EnumerateDirectories(Root, "rejected-*").Append(Root).Select(LastTrainAt.Read) : []];
        return Task.FromResult(times.Max());
    }

    public Task<ModelDownloadResult> DownloadAsync(string modelsDirectory, ModelDownloadRequest? request = null, CancellationToken cancellationToken = default)
    {
        ThrowIfFailing();
        request ??= new ModelDownloadRequest();
        string metadata = Path.Combine(Root, MetadataFile);
        if (!File.Exists(metadata))
        {
            return Task.FromResult(new ModelDownloadResult(ModelDownloadOutcome.NotAvailable, []));
        }

        var run = new ModelRun(LatestId, LastTrainAt.Read(Root), ModelRunStatus.Latest);
        string local = Path.Combine(modelsDirectory, MetadataFile);
        if (request.OnlyWhenDifferent && File.Exists(local) && File.ReadAllBytes(local).AsSpan().SequenceEqual(File.ReadAllBytes(metadata)))
        {
            return Task.FromResult(new ModelDownloadResult(ModelDownloadOutcome.UpToDate, []) { Run = run });
        }

        Downloads++;
        string staging = ModelSetInstaller.CreateStagingDirectory(modelsDirectory, "download");
        var files = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Root))
        {
            File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
            files.Add(Path.GetFileName(file));
        }

        ModelSetInstaller.Install(staging, modelsDirectory);
        return Task.FromResult(new ModelDownloadResult(ModelDownloadOutcome.Installed, files) { Run = run });
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from).Where(f => ModelSetInstaller.IsModelSetFile(Path.GetFileName(f)) || Path.GetFileName(f) == LastTrainAt.FileName))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    private void ThrowIfFailing()
    {
        if (Failure is not null)
        {
            throw Failure;
        }
    }
}
