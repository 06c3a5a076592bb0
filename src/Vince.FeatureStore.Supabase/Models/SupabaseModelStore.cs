using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Supabase.Diagnostics;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// The model registry in the private Supabase Storage bucket <c>vince-ml-models</c> (FORMATS, "Model registry"), through
/// the Storage API (<c>/storage/v1/object/{bucket}/{name}</c>, listing with <c>/storage/v1/object/list/{bucket}</c>).
/// </summary>
/// <remarks>
/// <para>Publishing uploads every file of the set to <c>runs/&lt;trained_at&gt;-&lt;sha12&gt;/</c>, then its
/// <c>run.json</c> (every file with its SHA-256), then replaces <c>latest.json</c> (the same manifest) last; a reader
/// therefore never finds a pointer to an incomplete run. The models and <c>training_metadata.json</c> are also copied to
/// the bucket root (metadata last), the original bot's flat layout, so that a bot of the original code sharing the bucket
/// keeps receiving new sets.</para>
/// <para>Downloading reads <c>latest.json</c> (or a named run's <c>run.json</c>); a bucket without it is read in the flat
/// layout (<c>training_metadata.json</c> and the models it lists at the root). Every file goes into a staging directory
/// next to the models directory, is checked against its SHA-256, and only then is the set swapped in by
/// <see cref="ModelSetInstaller.Install"/> (one atomic directory exchange on Linux and macOS); other files already in the
/// models directory are kept. A failed or partial download removes the staging directory and leaves the models directory
/// as it was.</para>
/// </remarks>
public sealed class SupabaseModelStore : IModelBucket
{
    /// <summary>The bucket, <c>vince-ml-models</c>.</summary>
    public const string DefaultBucket = "vince-ml-models";

    /// <summary>The metadata file, <c>training_metadata.json</c>.</summary>
    public const string MetadataFileName = "training_metadata.json";

    /// <summary>The bot's default models directory, <c>.elizadb/vince-paper-bot/models/</c>.</summary>
    public const string DefaultModelsDirectory = ".elizadb/vince-paper-bot/models";

    private const int ListPageSize = 1000;

    private readonly PostgrestClient _client;
    private readonly string _bucket;
    private readonly ILogger _logger;

    /// <summary>Creates a model store with the URL and key of <paramref name="options"/> or the environment (as the sink).</summary>
    /// <param name="options">URL, key, timeouts and retries (the table settings are not used).</param>
    /// <param name="httpClient">The client to send with; not disposed.</param>
    /// <param name="bucket">The bucket (default <c>vince-ml-models</c>).</param>
    /// <param name="logger">Receives progress.</param>
    /// <param name="timeProvider">Clock for timeouts, retry waits and the times written to the registry.</param>
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

    /// <summary>Test hook: called after each file is written to the staging directory.</summary>
    internal Action<string>? AfterFileDownloaded { get; set; }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The directory has no metadata or a model it lists is missing.</exception>
    /// <exception cref="SupabaseRequestException">The server refused an upload or stayed unreachable.</exception>
    public async Task<ModelRun> PublishAsync(string setDirectory, ModelGateResult? gate = null, CancellationToken cancellationToken = default)
    {
        (RunManifest manifest, Dictionary<string, byte[]> files) = await UploadRunAsync(setDirectory, gate, cancellationToken).ConfigureAwait(false);

        // Last: from here on every instance polling latest.json installs the run, whose files are all in place.
        await PutAsync(ModelRegistryLayout.LatestFileName, ModelRegistryLayout.WriteManifest(manifest), "application/json", cancellationToken).ConfigureAwait(false);

        // The original bot's flat layout, models first and metadata last as it expects.
        foreach ((string name, byte[] bytes) in files.Where(f => f.Key.EndsWith(".onnx", StringComparison.Ordinal)))
        {
            await PutAsync(name, bytes, "application/octet-stream", cancellationToken).ConfigureAwait(false);
        }

        await PutAsync(MetadataFileName, files[MetadataFileName], "application/json", cancellationToken).ConfigureAwait(false);
        SupabaseLog.RunPublished(_logger, manifest.Run, files.Count, _bucket);
        return new ModelRun(manifest.Run, manifest.TrainedAt, ModelRunStatus.Latest) { HoldoutAuc = manifest.HoldoutAuc };
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The directory has no metadata or a model it lists is missing.</exception>
    /// <exception cref="SupabaseRequestException">The server refused an upload or stayed unreachable.</exception>
    public async Task<ModelRun> RejectAsync(string setDirectory, ModelGateResult gate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gate);
        (RunManifest manifest, Dictionary<string, byte[]> files) = await UploadRunAsync(setDirectory, gate, cancellationToken).ConfigureAwait(false);
        byte[] rejection = ModelRegistryLayout.WriteRejection(manifest.Run, _client.Time.GetUtcNow(), gate);
        await PutAsync(ModelRegistryLayout.RunObject(manifest.Run, ModelRegistryLayout.RejectedFileName), rejection, "application/json", cancellationToken).ConfigureAwait(false);
        SupabaseLog.RunRejected(_logger, manifest.Run, files.Count, _bucket, gate.Reason);
        return new ModelRun(manifest.Run, manifest.TrainedAt, ModelRunStatus.Rejected) { RejectionReason = gate.Reason, HoldoutAuc = gate.ChallengerAuc };
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException"><c>latest.json</c> or the flat metadata does not parse.</exception>
    /// <exception cref="SupabaseRequestException">The request failed.</exception>
    public async Task<ModelRun?> GetLatestAsync(CancellationToken cancellationToken = default)
    {
        if (await GetManifestAsync(version: null, cancellationToken).ConfigureAwait(false) is { } latest)
        {
            return new ModelRun(latest.Run, latest.TrainedAt, ModelRunStatus.Latest) { HoldoutAuc = latest.HoldoutAuc };
        }

        return await GetFlatAsync(cancellationToken).ConfigureAwait(false) is { Listed.Count: > 0 } ? FlatRun : null;
    }

    /// <inheritdoc/>
    /// <exception cref="SupabaseRequestException">A request failed.</exception>
    public async Task<IReadOnlyList<ModelRun>> ListRunsAsync(CancellationToken cancellationToken = default)
    {
        RunManifest? latest = await GetManifestAsync(version: null, cancellationToken).ConfigureAwait(false);
        var runs = new List<ModelRun>();
        foreach ((string id, DateTimeOffset trainedAt) in await RunIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            IReadOnlyList<string> files = await ListAsync($"{ModelRegistryLayout.RunsFolder}/{id}", folders: false, cancellationToken).ConfigureAwait(false);
            if (!files.Contains(ModelRegistryLayout.ManifestFileName, StringComparer.Ordinal))
            {
                continue; // an upload that never finished: not a run
            }

            if (files.Contains(ModelRegistryLayout.RejectedFileName, StringComparer.Ordinal))
            {
                byte[]? rejection = await GetAsync(ModelRegistryLayout.RunObject(id, ModelRegistryLayout.RejectedFileName), allowMissing: true, cancellationToken).ConfigureAwait(false);
                runs.Add(new ModelRun(id, trainedAt, ModelRunStatus.Rejected) { RejectionReason = rejection is null ? null : ModelRegistryLayout.ReadRejectionReason(rejection) });
            }
            else
            {
                runs.Add(new ModelRun(id, trainedAt, string.Equals(id, latest?.Run, StringComparison.Ordinal) ? ModelRunStatus.Latest : ModelRunStatus.Published)
                {
                    HoldoutAuc = string.Equals(id, latest?.Run, StringComparison.Ordinal) ? latest!.HoldoutAuc : null,
                });
            }
        }

        if (latest is null && await GetFlatAsync(cancellationToken).ConfigureAwait(false) is { Listed.Count: > 0 })
        {
            runs.Add(FlatRun);
        }

        return runs.OrderByDescending(r => r.TrainedAt ?? DateTimeOffset.MinValue).ToList();
    }

    /// <inheritdoc/>
    /// <exception cref="SupabaseRequestException">The request failed.</exception>
    public async Task<DateTimeOffset?> GetLastTrainingTimeAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<(string Id, DateTimeOffset TrainedAt)> runs = await RunIdsAsync(cancellationToken).ConfigureAwait(false);
        return runs.Count == 0 ? null : runs.Max(r => r.TrainedAt);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The run does not exist, or a downloaded file is empty or fails its SHA-256; nothing was installed.</exception>
    /// <exception cref="SupabaseRequestException">A download failed; nothing was installed.</exception>
    public async Task<ModelDownloadResult> DownloadAsync(string modelsDirectory, ModelDownloadRequest? request = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        request ??= new ModelDownloadRequest();
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelsDirectory));
        string? localMetadata = LocalMetadataSha256(target);

        ModelRun run;
        IReadOnlyDictionary<string, string?> files;
        Dictionary<string, byte[]> prefetched = new(StringComparer.Ordinal);
        RunManifest? manifest = string.Equals(request.Version, ModelRegistryLayout.FlatRunId, StringComparison.Ordinal)
            ? null
            : await GetManifestAsync(request.Version, cancellationToken).ConfigureAwait(false);
        if (manifest is null && request.Version is { } version && version != ModelRegistryLayout.FlatRunId)
        {
            throw new InvalidOperationException($"The bucket {_bucket} has no run '{version}' ({ModelRegistryLayout.RunObject(version, ModelRegistryLayout.ManifestFileName)} does not exist): see 'models list'.");
        }

        if (manifest is not null)
        {
            run = new ModelRun(manifest.Run, manifest.TrainedAt, request.Version is null ? ModelRunStatus.Latest : ModelRunStatus.Published) { HoldoutAuc = manifest.HoldoutAuc };
            if (request.OnlyWhenDifferent && localMetadata == manifest.MetadataSha256)
            {
                return new ModelDownloadResult(ModelDownloadOutcome.UpToDate, []) { Run = run };
            }

            files = manifest.Files.ToDictionary(f => ModelRegistryLayout.RunObject(manifest.Run, f.Key), f => (string?)f.Value, StringComparer.Ordinal);
        }
        else
        {
            // The original bot's layout: the metadata and the models it lists at the root.
            FlatSet? flat = await GetFlatAsync(cancellationToken).ConfigureAwait(false);
            if (flat is null || flat.Listed.Count == 0)
            {
                SupabaseLog.ModelsNotAvailable(_logger, _bucket, flat is null
                    ? $"no {ModelRegistryLayout.LatestFileName} and no {MetadataFileName}"
                    : $"no {ModelRegistryLayout.LatestFileName}, and the flat {MetadataFileName} lists no model");
                return new ModelDownloadResult(ModelDownloadOutcome.NotAvailable, []);
            }

            run = FlatRun;
            if (request.OnlyWhenDifferent && localMetadata == ModelRegistryLayout.Sha256(flat.Metadata))
            {
                return new ModelDownloadResult(ModelDownloadOutcome.UpToDate, []) { Run = run };
            }

            files = flat.Listed.Append(new KeyValuePair<string, string?>(MetadataFileName, null)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
            prefetched[MetadataFileName] = flat.Metadata;
        }

        string staging = ModelSetInstaller.CreateStagingDirectory(target, "download");
        bool installed = false;
        try
        {
            foreach ((string name, string? sha256) in files)
            {
                string file = name[(name.LastIndexOf('/') + 1)..];
                byte[] bytes = prefetched.TryGetValue(name, out byte[]? known) ? known : (await GetAsync(name, allowMissing: false, cancellationToken).ConfigureAwait(false))!;
                if (bytes.Length == 0 && file.EndsWith(".onnx", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"Model download from bucket {_bucket}: {name} is empty; nothing was installed.");
                }

                if (sha256 is not null && !string.Equals(ModelRegistryLayout.Sha256(bytes), sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"Model download from bucket {_bucket}: {name} does not match its SHA-256 in the manifest; nothing was installed.");
                }

                await File.WriteAllBytesAsync(Path.Combine(staging, file), bytes, cancellationToken).ConfigureAwait(false);
                AfterFileDownloaded?.Invoke(file);
            }

            // The metadata must name only models that came with it (a run's manifest is checked the same way as a flat set).
            IReadOnlyDictionary<string, string?> listed = ListedModels(await File.ReadAllBytesAsync(Path.Combine(staging, MetadataFileName), cancellationToken).ConfigureAwait(false));
            foreach ((string model, string? sha256) in listed)
            {
                string path = Path.Combine(staging, model);
                if (!File.Exists(path))
                {
                    throw new InvalidOperationException($"Model download from bucket {_bucket}: {MetadataFileName} of run {run.Id} lists {model}, which the run does not hold; nothing was installed.");
                }

                if (sha256 is not null && !string.Equals(ModelRegistryLayout.Sha256(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false)), sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"Model download from bucket {_bucket}: {model} does not match its SHA-256 in {MetadataFileName}; nothing was installed.");
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            // Keeps the other files of the models directory (the host's own files).
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

        var names = files.Keys.Select(n => n[(n.LastIndexOf('/') + 1)..]).ToList();
        SupabaseLog.ModelsInstalled(_logger, run.Id, names.Count, _bucket, target);
        return new ModelDownloadResult(ModelDownloadOutcome.Installed, names) { Run = run };
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

    private static ModelRun FlatRun => new(ModelRegistryLayout.FlatRunId, null, ModelRunStatus.Flat);

    private static string FileOf(string model)
    {
        string file = model.EndsWith(".onnx", StringComparison.Ordinal) ? model : model + ".onnx";
        if (!ModelRegistryLayout.IsPlainFileName(file))
        {
            throw new InvalidOperationException($"{MetadataFileName} lists the model '{model}', which is not a plain file name.");
        }

        return file;
    }

    private static string? LocalMetadataSha256(string modelsDirectory)
    {
        string path = Path.Combine(modelsDirectory, MetadataFileName);
        try
        {
            // Without a model there is nothing to keep, whatever metadata is left.
            return Directory.Exists(modelsDirectory) && Directory.EnumerateFiles(modelsDirectory, "*.onnx").Any() && File.Exists(path)
                ? ModelRegistryLayout.Sha256(File.ReadAllBytes(path))
                : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Uploads the files of a set and its manifest into its run folder.</summary>
    private async Task<(RunManifest Manifest, Dictionary<string, byte[]> Files)> UploadRunAsync(string setDirectory, ModelGateResult? gate, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(setDirectory);
        string metadataPath = Path.Combine(setDirectory, MetadataFileName);
        if (!File.Exists(metadataPath))
        {
            throw new InvalidOperationException($"Cannot upload models: {metadataPath} does not exist (train first).");
        }

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(setDirectory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            if (ModelRegistryLayout.IsRunFile(name) && ModelRegistryLayout.IsPlainFileName(name))
            {
                files[name] = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            }
        }

        byte[] metadata = files[MetadataFileName];
        foreach (string file in ListedModels(metadata).Keys)
        {
            if (!files.ContainsKey(file))
            {
                throw new InvalidOperationException($"Cannot upload models: {MetadataFileName} lists {file}, which is not in {setDirectory}.");
            }
        }

        DateTimeOffset trainedAt;
        try
        {
            trainedAt = LastTrainAt.Read(setDirectory) ?? _client.Time.GetUtcNow();
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"Cannot upload models: {ex.Message}", ex);
        }

        string metadataSha256 = ModelRegistryLayout.Sha256(metadata);
        string run = ModelRegistryLayout.RunId(trainedAt, metadataSha256);
        var manifest = new RunManifest(
            run,
            DateTimeOffset.FromUnixTimeMilliseconds(trainedAt.ToUnixTimeMilliseconds()),
            metadataSha256,
            files.ToDictionary(f => f.Key, f => ModelRegistryLayout.Sha256(f.Value), StringComparer.Ordinal),
            gate?.ChallengerAuc);
        foreach ((string name, byte[] bytes) in files)
        {
            string contentType = name.EndsWith(".json", StringComparison.Ordinal) ? "application/json" : "application/octet-stream";
            await PutAsync(ModelRegistryLayout.RunObject(run, name), bytes, contentType, cancellationToken).ConfigureAwait(false);
        }

        // After the files: a run folder with a manifest is complete.
        await PutAsync(ModelRegistryLayout.RunObject(run, ModelRegistryLayout.ManifestFileName), ModelRegistryLayout.WriteManifest(manifest), "application/json", cancellationToken).ConfigureAwait(false);
        return (manifest, files);
    }

    private async Task<RunManifest?> GetManifestAsync(string? version, CancellationToken cancellationToken)
    {
        string name = version is null ? ModelRegistryLayout.LatestFileName : ModelRegistryLayout.RunObject(CheckedRunId(version), ModelRegistryLayout.ManifestFileName);
        byte[]? bytes = await GetAsync(name, allowMissing: true, cancellationToken).ConfigureAwait(false);
        return bytes is null ? null : ModelRegistryLayout.ReadManifest(bytes, $"{name} in bucket {_bucket}");
    }

    private static string CheckedRunId(string version)
        => ModelRegistryLayout.TryParseRunId(version, out _)
            ? version
            : throw new ArgumentException($"'{version}' is not a run id (<yyyyMMddTHHmmssfffZ>-<12 hex digits>, as 'models list' shows them, or '{ModelRegistryLayout.FlatRunId}').", nameof(version));

    private async Task<FlatSet?> GetFlatAsync(CancellationToken cancellationToken)
    {
        byte[]? metadata = await GetAsync(MetadataFileName, allowMissing: true, cancellationToken).ConfigureAwait(false);
        return metadata is null ? null : new FlatSet(metadata, ListedModels(metadata));
    }

    private async Task<IReadOnlyList<(string Id, DateTimeOffset TrainedAt)>> RunIdsAsync(CancellationToken cancellationToken)
    {
        var runs = new List<(string, DateTimeOffset)>();
        foreach (string name in await ListAsync(ModelRegistryLayout.RunsFolder, folders: true, cancellationToken).ConfigureAwait(false))
        {
            if (ModelRegistryLayout.TryParseRunId(name, out DateTimeOffset trainedAt))
            {
                runs.Add((name, trainedAt));
            }
        }

        return runs;
    }

    /// <summary>The names directly under <paramref name="prefix"/>: its folders or its files.</summary>
    private async Task<IReadOnlyList<string>> ListAsync(string prefix, bool folders, CancellationToken cancellationToken)
    {
        Uri uri = _client.Resolve($"storage/v1/object/list/{Uri.EscapeDataString(_bucket)}");
        var names = new List<string>();
        for (int offset = 0; ; offset += ListPageSize)
        {
            byte[] body = ListBody(prefix, offset);
            using HttpResponseMessage response = await _client.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            }, cancellationToken, Advice).ConfigureAwait(false);
            byte[] page = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            int count = 0;
            using (JsonDocument document = JsonDocument.Parse(page))
            {
                foreach (JsonElement entry in document.RootElement.EnumerateArray())
                {
                    count++;
                    // Storage lists a folder as an entry without an id.
                    bool isFolder = !entry.TryGetProperty("id", out JsonElement id) || id.ValueKind == JsonValueKind.Null;
                    if (isFolder == folders && entry.TryGetProperty("name", out JsonElement name) && name.GetString() is { Length: > 0 } text)
                    {
                        names.Add(text);
                    }
                }
            }

            if (count < ListPageSize)
            {
                return names;
            }
        }
    }

    /// <summary>The body of Storage's list request: <c>{prefix, limit, offset, sortBy: {column, order}}</c>.</summary>
    private static byte[] ListBody(string prefix, int offset)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("prefix", prefix);
            json.WriteNumber("limit", ListPageSize);
            json.WriteNumber("offset", offset);
            json.WriteStartObject("sortBy");
            json.WriteString("column", "name");
            json.WriteString("order", "asc");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private Uri ObjectUri(string name)
        => _client.Resolve($"storage/v1/object/{Uri.EscapeDataString(_bucket)}/{string.Join('/', name.Split('/').Select(Uri.EscapeDataString))}");

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

    private sealed record FlatSet(byte[] Metadata, IReadOnlyDictionary<string, string?> Listed);
}
