using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;

namespace Vince.FeatureStore.Onnx.Tests.Training.Support;

/// <summary>
/// A model bucket kept in a local directory: upload copies the set's files there, download installs them with the
/// library's atomic installer. Stands in for Supabase Storage where the test is about the runner or the host, not HTTP
/// (the Supabase tests cover the real Storage API).
/// </summary>
public sealed class DirectoryBucket(string root) : IModelBucket
{
    public string Root { get; } = root;

    public Exception? Failure { get; set; }

    public int Uploads { get; private set; }

    public int Downloads { get; private set; }

    public string Name => "directory:" + Root;

    public Task<IReadOnlyList<string>> UploadAsync(string modelsDirectory, CancellationToken cancellationToken = default)
    {
        if (Failure is not null)
        {
            throw Failure;
        }

        Uploads++;
        Directory.CreateDirectory(Root);
        var uploaded = new List<string>();
        foreach (string file in Directory.EnumerateFiles(modelsDirectory, "*.onnx").Order(StringComparer.Ordinal).Append(Path.Combine(modelsDirectory, "training_metadata.json")))
        {
            File.Copy(file, Path.Combine(Root, Path.GetFileName(file)), overwrite: true);
            uploaded.Add(Path.GetFileName(file));
        }

        return Task.FromResult<IReadOnlyList<string>>(uploaded);
    }

    public Task<ModelDownloadResult> DownloadIfMissingAsync(string modelsDirectory, CancellationToken cancellationToken = default)
    {
        if (Failure is not null)
        {
            throw Failure;
        }

        if (Directory.Exists(modelsDirectory) && Directory.EnumerateFiles(modelsDirectory, "*.onnx").Any())
        {
            return Task.FromResult(new ModelDownloadResult(ModelDownloadOutcome.AlreadyPresent, []));
        }

        if (!File.Exists(Path.Combine(Root, "training_metadata.json")))
        {
            return Task.FromResult(new ModelDownloadResult(ModelDownloadOutcome.NotAvailable, []));
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
        return Task.FromResult(new ModelDownloadResult(ModelDownloadOutcome.Installed, files));
    }
}
