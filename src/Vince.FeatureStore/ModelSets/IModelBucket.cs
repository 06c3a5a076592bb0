namespace Vince.FeatureStore.ModelSets;

/// <summary>
/// A remote copy of the trained model set (<c>*.onnx</c> and <c>training_metadata.json</c>), such as the Supabase
/// Storage bucket <c>vince-ml-models</c>. Uploaded after a training; downloaded at start-up when the local models
/// directory has no model.
/// </summary>
public interface IModelBucket
{
    /// <summary>A short name for logs and messages, e.g. <c>supabase:vince-ml-models</c>. Never contains a secret.</summary>
    string Name { get; }

    /// <summary>Uploads every <c>*.onnx</c> of <paramref name="modelsDirectory"/>, then <c>training_metadata.json</c> last, replacing what the bucket holds.</summary>
    /// <param name="modelsDirectory">The directory holding a validated model set.</param>
    /// <param name="cancellationToken">Stops the upload.</param>
    /// <returns>The file names uploaded, in order.</returns>
    Task<IReadOnlyList<string>> UploadAsync(string modelsDirectory, CancellationToken cancellationToken = default);

    /// <summary>
    /// When <paramref name="modelsDirectory"/> has no <c>.onnx</c>, downloads the latest set, validates it and installs
    /// it atomically (never a mixed set of two trainings); otherwise does nothing.
    /// </summary>
    /// <param name="modelsDirectory">The local models directory (created when missing).</param>
    /// <param name="cancellationToken">Stops the download; nothing is installed then.</param>
    /// <returns>What happened.</returns>
    Task<ModelDownloadResult> DownloadIfMissingAsync(string modelsDirectory, CancellationToken cancellationToken = default);
}
