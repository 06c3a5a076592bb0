using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Supabase.Diagnostics;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// The trained model set in the private Supabase Storage bucket <c>vince-ml-models</c> (FORMATS §5): <c>*.onnx</c>
/// and <c>training_metadata.json</c> at the bucket root, through the Storage API (<c>/storage/v1/object/{bucket}/{name}</c>).
/// </summary>
/// <remarks>
/// <para>Upload sends every <c>*.onnx</c> of the models directory, then <c>training_metadata.json</c> last, each with
/// <c>x-upsert: true</c>.</para>
/// <para>Download runs only when the local models directory has no <c>.onnx</c>. It is atomic for the set: the
/// metadata and every model it lists (<c>onnx_hashes</c> keys, else <c>models_trained</c>) are downloaded into a
/// staging directory next to the models directory (same filesystem), validated (the metadata parses, every listed
/// file is present and non-empty, and matches its <c>onnx_hashes</c> SHA-256 when given), and only then swapped in
/// by <see cref="ModelSetInstaller.Install"/> (one atomic directory exchange on Linux and macOS); other files already in
/// the models directory are kept. A failed or partial download removes the staging directory and leaves the models
/// directory as it was: never a mixed model/metadata set.</para>
/// </remarks>
public sealed class SupabaseModelStore : IModelBucket
{
    /// <summary>The bucket, <c>vince-ml-models</c>.</summary>
    public const string DefaultBucket = "vince-ml-models";

    /// <summary>The metadata file, <c>training_metadata.json</c>.</summary>
    public const string MetadataFileName = "training_metadata.json";

    /// <summary>The bot's default models directory, <c>.elizadb/vince-paper-bot/models/</c>.</summary>
    public const string DefaultModelsDirectory = ".elizadb/vince-paper-bot/models";

    private readonly PostgrestClient _client;
    private readonly string _bucket;
    private readonly ILogger _logger;

    /// <summary>Creates a model store with the URL and key of <paramref name="options"/> or the environment (as the sink).</summary>
    /// <param name="options">URL, key, timeouts and retries (the table settings are not used).</param>
    /// <param name="httpClient">The client to send with; not disposed.</param>
    /// <param name="bucket">The bucket (default <c>vince-ml-models</c>).</param>
    /// <param name="logger">Receives progress.</param>
    /// <param name="timeProvider">Clock for timeouts and retry waits.</param>
    /// <exception cref="ArgumentException">The options are invalid, or no URL or key is known.</exception>
    public SupabaseModelStore(SupabaseOptions options, HttpClient httpClient, string bucket = DefaultBucket, ILogger<SupabaseModelStore>? logger = null, TimeProvider? timeProvider = null)
        : this(new SupabaseFeatureSink(options, httpClient, null, timeProvider).Client, bucket, logger)
    {
    }

    internal SupabaseModelStore(PostgrestClient client, string bucket, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        _client = client;
        _bucket = bucket;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public string Name => "supabase:" + _bucket;

    /// <summary>Test hook: called after each file is written to the temporary directory.</summary>
    internal Action<string>? AfterFileDownloaded { get; set; }

    /// <summary>Uploads every <c>*.onnx</c> in <paramref name="modelsDirectory"/>, then <c>training_metadata.json</c>, replacing existing objects.</summary>
    /// <param name="modelsDirectory">The directory holding the trained set.</param>
    /// <param name="cancellationToken">Stops the upload.</param>
    /// <returns>The object names uploaded, in order.</returns>
    /// <exception cref="InvalidOperationException">The directory has no metadata or a model it lists is missing.</exception>
    /// <exception cref="SupabaseRequestException">The server refused an upload or stayed unreachable.</exception>
    public async Task<IReadOnlyList<string>> UploadAsync(string modelsDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        string metadataPath = Path.Combine(modelsDirectory, MetadataFileName);
        if (!File.Exists(metadataPath))
        {
            throw new InvalidOperationException($"Cannot upload models: {metadataPath} does not exist (train first).");
        }

        byte[] metadata = await File.ReadAllBytesAsync(metadataPath, cancellationToken).ConfigureAwait(false);
        IReadOnlyDictionary<string, string?> listed = ListedModels(metadata);
        foreach (string file in listed.Keys)
        {
            if (!File.Exists(Path.Combine(modelsDirectory, file)))
            {
                throw new InvalidOperationException($"Cannot upload models: {MetadataFileName} lists {file}, which is not in {modelsDirectory}.");
            }
        }

        var uploaded = new List<string>();
        foreach (string path in Directory.EnumerateFiles(modelsDirectory, "*.onnx").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            await PutAsync(name, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), "application/octet-stream", cancellationToken).ConfigureAwait(false);
            uploaded.Add(name);
        }

        // Last, so that a reader never finds metadata naming models that are not there yet.
        await PutAsync(MetadataFileName, metadata, "application/json", cancellationToken).ConfigureAwait(false);
        uploaded.Add(MetadataFileName);
        SupabaseLog.ModelsUploaded(_logger, uploaded.Count, _bucket);
        return uploaded;
    }

    /// <summary>
    /// When <paramref name="modelsDirectory"/> has no <c>.onnx</c>, downloads the set from the bucket, validates it and
    /// installs it atomically.
    /// </summary>
    /// <param name="modelsDirectory">The local models directory (created when missing).</param>
    /// <param name="cancellationToken">Stops the download; nothing is installed then.</param>
    /// <returns>What happened.</returns>
    /// <exception cref="InvalidOperationException">The downloaded set is invalid (metadata does not parse, a file is empty or fails its hash); nothing was installed.</exception>
    /// <exception cref="SupabaseRequestException">A download failed; nothing was installed.</exception>
    public async Task<ModelDownloadResult> DownloadIfMissingAsync(string modelsDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        string target = Path.GetFullPath(modelsDirectory).TrimEnd(Path.DirectorySeparatorChar);
        if (Directory.Exists(target) && Directory.EnumerateFiles(target, "*.onnx").Any())
        {
            return new ModelDownloadResult(ModelDownloadOutcome.AlreadyPresent, []);
        }

        byte[]? metadata = await GetAsync(MetadataFileName, allowMissing: true, cancellationToken).ConfigureAwait(false);
        if (metadata is null)
        {
            SupabaseLog.ModelsNotAvailable(_logger, _bucket, $"no {MetadataFileName}");
            return new ModelDownloadResult(ModelDownloadOutcome.NotAvailable, []);
        }

        IReadOnlyDictionary<string, string?> listed = ListedModels(metadata);
        if (listed.Count == 0)
        {
            SupabaseLog.ModelsNotAvailable(_logger, _bucket, $"{MetadataFileName} lists no model");
            return new ModelDownloadResult(ModelDownloadOutcome.NotAvailable, []);
        }

        string staging = ModelSetInstaller.CreateStagingDirectory(target, "download");
        bool installed = false;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(staging, MetadataFileName), metadata, cancellationToken).ConfigureAwait(false);
            AfterFileDownloaded?.Invoke(MetadataFileName);
            foreach ((string file, string? sha256) in listed)
            {
                byte[] bytes = (await GetAsync(file, allowMissing: false, cancellationToken).ConfigureAwait(false))!;
                if (bytes.Length == 0)
                {
                    throw new InvalidOperationException($"Model download from bucket {_bucket}: {file} is empty; nothing was installed.");
                }

                if (sha256 is not null && !string.Equals(Convert.ToHexString(SHA256.HashData(bytes)), sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"Model download from bucket {_bucket}: {file} does not match its SHA-256 in {MetadataFileName}; nothing was installed.");
                }

                await File.WriteAllBytesAsync(Path.Combine(staging, file), bytes, cancellationToken).ConfigureAwait(false);
                AfterFileDownloaded?.Invoke(file);
            }

            // Keeps the other files of the models directory (last_train_at.txt, the host's own files).
            ModelSetInstaller.Install(staging, target);
            installed = true;
        }
        finally
        {
            if (!installed)
            {
                ModelSetInstaller.DeleteDirectory(staging);
            }
        }

        var files = listed.Keys.Append(MetadataFileName).ToList();
        SupabaseLog.ModelsInstalled(_logger, files.Count, _bucket, target);
        return new ModelDownloadResult(ModelDownloadOutcome.Installed, files);
    }

    /// <summary>The model files <c>training_metadata.json</c> lists, with their SHA-256 when given.</summary>
    internal static IReadOnlyDictionary<string, string?> ListedModels(byte[] metadata)
    {
        var files = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        try
        {
            using JsonDocument document = JsonDocument.Parse(metadata);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidOperationException($"{MetadataFileName} is not a JSON object.");
            }

            if (root.TryGetProperty("onnx_hashes", out JsonElement hashes) && hashes.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty hash in hashes.EnumerateObject())
                {
                    files[FileOf(hash.Name)] = hash.Value.ValueKind == JsonValueKind.String ? hash.Value.GetString() : null;
                }
            }

            if (root.TryGetProperty("models_trained", out JsonElement trained) && trained.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement name in trained.EnumerateArray())
                {
                    if (name.ValueKind == JsonValueKind.String && name.GetString() is { Length: > 0 } model)
                    {
                        files.TryAdd(FileOf(model), null);
                    }
                }
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"{MetadataFileName} does not parse: {ex.Message}", ex);
        }

        return files;
    }

    private static string FileOf(string model)
    {
        string file = model.EndsWith(".onnx", StringComparison.Ordinal) ? model : model + ".onnx";
        if (file.Length > 200 || file.StartsWith('.') || !file.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw new InvalidOperationException($"{MetadataFileName} lists the model '{model}', which is not a plain file name.");
        }

        return file;
    }

    private Uri ObjectUri(string name) => _client.Resolve($"storage/v1/object/{Uri.EscapeDataString(_bucket)}/{Uri.EscapeDataString(name)}");

    private async Task PutAsync(string name, byte[] bytes, string contentType, CancellationToken cancellationToken)
    {
        Uri uri = ObjectUri(name);
        using HttpResponseMessage response = await _client.SendAsync(() =>
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
            request.Headers.TryAddWithoutValidation("x-upsert", "true");
            return request;
        }, cancellationToken, Advice).ConfigureAwait(false);
    }

    private async Task<byte[]?> GetAsync(string name, bool allowMissing, CancellationToken cancellationToken)
    {
        Uri uri = ObjectUri(name);
        try
        {
            using HttpResponseMessage response = await _client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), cancellationToken, Advice).ConfigureAwait(false);
            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SupabaseRequestException ex) when (allowMissing && ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorMessage?.Contains("Bucket", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }
    }

    private string? Advice(HttpStatusCode status, string? code) => status switch
    {
        HttpStatusCode.NotFound => $"Check that the private bucket {_bucket} exists (the bootstrap SQL creates it) and holds the object.",
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => $"Storage refused the key: use the service-role key ({SupabaseSettings.ServiceRoleKeyVariable}); the bucket is private.",
        HttpStatusCode.RequestEntityTooLarge => "The file is larger than the project's Storage upload limit (Storage settings).",
        _ => "Check the Storage API of the project.",
    };
}
