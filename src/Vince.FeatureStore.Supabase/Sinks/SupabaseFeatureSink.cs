using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Supabase.Diagnostics;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// Ships feature records to Supabase through PostgREST: <c>POST /rest/v1/vince_paper_bot_features?on_conflict=id</c>
/// with <c>Prefer: resolution=merge-duplicates,return=minimal</c> and a JSON array of <c>{id, created_at, payload}</c>,
/// one row per record id holding its latest version. No Supabase SDK: <see cref="HttpClient"/> and System.Text.Json.
/// </summary>
/// <remarks>
/// <para>A batch keeps the newest version per id and is sent in requests bounded by
/// <see cref="SupabaseOptions.MaxBatchRows"/> and <see cref="SupabaseOptions.MaxBatchBytes"/>. Transient failures
/// (network, timeout, 408, 429, 5xx other than 501) are retried within the write, honouring <c>Retry-After</c>; when
/// they persist the write throws a transient <see cref="SupabaseRequestException"/> and the feature store's pipeline
/// re-sends the batch later from its durable cursor. 401, 403, 404, 501 and other refusals of the request are
/// <see cref="FeatureSinkFailureKind.Permanent"/> (the sink is blocked until fixed); a PostgreSQL constraint or value
/// error is <see cref="FeatureSinkFailureKind.RecordRejected"/> (the pipeline finds and parks the record). Writes are upserts, so re-sending is
/// harmless, and ordered: the trigger that <see cref="SupabaseBootstrap"/> installs keeps a stored row when the
/// incoming version is older (by the payload's <c>updatedAt</c>). A <c>413</c> splits the request in halves down to one row.</para>
/// <para>The key is sent only in the <c>apikey</c> and <c>Authorization</c> headers: never logged, never in an
/// exception message, never in <see cref="object.ToString"/>.</para>
/// </remarks>
public sealed class SupabaseFeatureSink : IFeatureSink
{
    private const string Prefer = "resolution=merge-duplicates,return=minimal";

    private readonly SupabaseOptions _options;
    private readonly PostgrestClient _client;
    private readonly ILogger _logger;
    private readonly string _who;
    private readonly string _upsertPath;

    /// <summary>
    /// Creates a sink using <see cref="SupabaseOptions.Url"/> and <see cref="SupabaseOptions.ApiKey"/>, or the
    /// environment (<c>SUPABASE_URL</c>, <c>SUPABASE_SERVICE_ROLE_KEY</c> else <c>SUPABASE_ANON_KEY</c>, a URL derived
    /// from <c>POSTGRES_URL</c>).
    /// </summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="httpClient">The client to send with (e.g. from <c>IHttpClientFactory</c>); not disposed by the sink. Its own timeout should be infinite or longer than <see cref="SupabaseOptions.RequestTimeout"/>.</param>
    /// <param name="logger">Receives the sink's events.</param>
    /// <param name="timeProvider">Clock for request timeouts and retry waits; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid, or no URL or no key is known.</exception>
    public SupabaseFeatureSink(SupabaseOptions options, HttpClient httpClient, ILogger<SupabaseFeatureSink>? logger = null, TimeProvider? timeProvider = null)
        : this(options, AsFactory(httpClient), logger, timeProvider, VinceEnvironment.Process.AsFunc())
    {
    }

    private static Func<HttpClient> AsFactory(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        return () => httpClient;
    }

    internal SupabaseFeatureSink(SupabaseOptions options, Func<HttpClient> httpClient, ILogger? logger, TimeProvider? timeProvider, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClient);
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Supabase sink options: " + string.Join(" ", errors), nameof(options));
        }

        _options = options.Clone();
        SupabaseSettings settings = SupabaseSettings.Resolve(_options, environment);
        if (!settings.IsEnabled)
        {
            throw new ArgumentException(
                $"The Supabase sink needs a URL and a key: {settings}. Set SupabaseOptions.Url and ApiKey, or the {SupabaseSettings.UrlVariable} and {SupabaseSettings.ServiceRoleKeyVariable} environment variables.",
                nameof(options));
        }

        Settings = settings;
        _logger = logger ?? NullLogger.Instance;
        _client = new PostgrestClient(httpClient, settings, _options, _logger, timeProvider ?? TimeProvider.System);
        _who = _client.Who;
        _upsertPath = $"rest/v1/{_options.Table}?on_conflict=id";
    }

    /// <inheritdoc />
    public string Name => _options.Name;

    /// <summary>The table written, <c>public.&lt;table&gt;</c>.</summary>
    public string TableName => "public." + _options.Table;

    /// <summary>The project URL the sink writes to; null when none was configured (the sink is then disabled).</summary>
    public Uri? ProjectUrl => Settings.Url;

    /// <summary>The resolved URL and key sources (the key redacted).</summary>
    internal SupabaseSettings Settings { get; }

    internal PostgrestClient Client => _client;

    /// <summary>A reader over the same table, URL, key and retry settings.</summary>
    /// <param name="logger">Receives a warning per row it skips.</param>
    /// <returns>The reader.</returns>
    public SupabaseFeatureReader CreateReader(ILogger<SupabaseFeatureReader>? logger = null)
        => new(_client, _options.Table, _options.ReadPageSize, logger);

    /// <summary>
    /// Checks that the table is reachable with the key (<c>GET …?select=id&amp;limit=0</c>), so a missing table or a
    /// wrong key is reported before the first batch with what to do.
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the store stops.</param>
    /// <returns>A task that completes when the table answered.</returns>
    /// <exception cref="SupabaseRequestException">The table is missing, the key was rejected, or the server stayed unreachable.</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Uri probe = _client.Resolve($"rest/v1/{_options.Table}?select=id&limit=0");
        using HttpResponseMessage response = await _client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, probe), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Upserts the batch: the last version per id, in requests bounded by rows and bytes. Throws
    /// <see cref="SupabaseRequestException"/> on a permanent failure or when transient ones persist; requests that
    /// succeeded before stay stored (re-sending them is harmless).
    /// </summary>
    /// <param name="records">The batch in log order.</param>
    /// <param name="cancellationToken">Cancelled when the store stops.</param>
    /// <returns>A task that completes when every row is stored.</returns>
    /// <exception cref="SupabaseRequestException">The server refused a request or stayed unreachable.</exception>
    public async Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        long started = Stopwatch.GetTimestamp();
        List<FeatureRecord> latest = FeatureBatches.LastVersionPerId(records);
        var rows = new List<Row>(latest.Count);
        foreach (FeatureRecord record in latest)
        {
            rows.Add(EncodeRow(record));
        }

        int requests = 0;
        long bytes = 0;
        foreach (List<Row> chunk in Chunk(rows, _options.MaxBatchRows, _options.MaxBatchBytes))
        {
            (int sent, long sentBytes) = await SendAsync(chunk, cancellationToken).ConfigureAwait(false);
            requests += sent;
            bytes += sentBytes;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            SupabaseLog.BatchWritten(_logger, Name, rows.Count, records.Count, requests, bytes, elapsedMs);
        }
    }

    /// <summary>A model store on the same project, key and retry settings.</summary>
    /// <param name="bucket">The bucket (default <c>vince-ml-models</c>).</param>
    /// <param name="logger">Receives progress.</param>
    /// <returns>The model store.</returns>
    public SupabaseModelStore CreateModelStore(string bucket = SupabaseModelStore.DefaultBucket, ILogger<SupabaseModelStore>? logger = null)
        => new(_client, bucket, logger);

    /// <summary>How many requests <see cref="WriteAsync"/> would send for <paramref name="records"/> (no network).</summary>
    internal int PlanRequests(IReadOnlyList<FeatureRecord> records)
        => records.Count == 0 ? 0 : Chunk(FeatureBatches.LastVersionPerId(records).ConvertAll(EncodeRow), _options.MaxBatchRows, _options.MaxBatchBytes).Count();

    internal int MaxBatchRows => _options.MaxBatchRows;

    /// <summary>Describes the sink without its key.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString() => $"{_who} → {Settings.Url}{_upsertPath}";

    /// <summary>Groups rows into requests of at most <paramref name="maxRows"/> rows and <paramref name="maxBytes"/> bytes of body (a larger row goes alone).</summary>
    internal static IEnumerable<List<Row>> Chunk(List<Row> rows, int maxRows, int maxBytes)
    {
        var chunk = new List<Row>();
        long size = 2; // "[" and "]"
        foreach (Row row in rows)
        {
            long added = row.Json.Length + (chunk.Count > 0 ? 1 : 0);
            if (chunk.Count > 0 && (chunk.Count >= maxRows || size + added > maxBytes))
            {
                yield return chunk;
                chunk = [];
                size = 2;
                added = row.Json.Length;
            }

            chunk.Add(row);
            size += added;
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    /// <summary>The request body: a JSON array of the rows' objects.</summary>
    internal static byte[] Body(List<Row> rows)
    {
        int length = 2 + rows.Sum(r => r.Json.Length) + Math.Max(0, rows.Count - 1);
        byte[] body = new byte[length];
        int at = 0;
        body[at++] = (byte)'[';
        for (int i = 0; i < rows.Count; i++)
        {
            if (i > 0)
            {
                body[at++] = (byte)',';
            }

            rows[i].Json.CopyTo(body, at);
            at += rows[i].Json.Length;
        }

        body[at] = (byte)']';
        return body;
    }

    private async Task<(int Requests, long Bytes)> SendAsync(List<Row> chunk, CancellationToken cancellationToken)
    {
        byte[] body = Body(chunk);
        Uri uri = _client.Resolve(_upsertPath);
        try
        {
            using HttpResponseMessage response = await _client.SendAsync(() =>
            {
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
                request.Headers.TryAddWithoutValidation("Prefer", Prefer);
                return request;
            }, cancellationToken).ConfigureAwait(false);
            return (1, body.Length);
        }
        catch (SupabaseRequestException ex) when (ex.StatusCode == HttpStatusCode.RequestEntityTooLarge)
        {
            if (chunk.Count == 1)
            {
                throw new SupabaseRequestException(
                    $"{_who}: record {chunk[0].Id} alone is {body.Length} bytes, more than the server accepts in one request (413). " +
                    "Raise the request size limit of the Supabase API gateway, or keep the record smaller.",
                    ex.StatusCode, FeatureSinkFailureKind.RecordRejected, new PostgrestError(ex.Code, ex.ErrorMessage, ex.Details, ex.Hint), ex);
            }

            SupabaseLog.Splitting(_logger, Name, chunk.Count, body.Length);
            int half = chunk.Count / 2;
            (int firstRequests, long firstBytes) = await SendAsync(chunk.GetRange(0, half), cancellationToken).ConfigureAwait(false);
            (int secondRequests, long secondBytes) = await SendAsync(chunk.GetRange(half, chunk.Count - half), cancellationToken).ConfigureAwait(false);
            return (firstRequests + secondRequests, firstBytes + secondBytes);
        }
    }

    internal Row EncodeRow(FeatureRecord record)
    {
        if (record.Timestamp < 0 || record.Timestamp > MaxTimestamp)
        {
            throw new ArgumentException($"Record {record.Id} has timestamp {record.Timestamp}, which is not a storable Unix time in milliseconds.");
        }

        byte[] payload = FeatureBatches.SerializeForPostgres(record, out bool replacedNul);
        if (replacedNul)
        {
            SupabaseLog.NulReplaced(_logger, Name, record.Id);
        }

        var buffer = new ArrayBufferWriter<byte>(payload.Length + record.Id.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", record.Id);
            writer.WriteString("created_at", DateTimeOffset.FromUnixTimeMilliseconds(record.Timestamp));
            writer.WritePropertyName("payload");
            writer.WriteRawValue(payload, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return new Row(record.Id, buffer.WrittenSpan.ToArray());
    }

    private static readonly long MaxTimestamp = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>One row's JSON object, <c>{"id":…,"created_at":…,"payload":{…}}</c>.</summary>
    internal sealed record Row(string Id, byte[] Json);
}
