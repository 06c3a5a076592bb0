using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Vince.FeatureStore.Supabase.Tests.Support;

/// <summary>A fault the stand-in applies to the next request, before authentication.</summary>
internal sealed record Fault(string Kind, int Status = 0, string? RetryAfter = null, TimeSpan Delay = default, string? Code = null)
{
    /// <summary>Answers <paramref name="status"/> with a PostgREST error body (and <c>Retry-After</c> when given).</summary>
    public static Fault Http(int status, string? retryAfter = null, string? code = null) => new("status", status, retryAfter, Code: code);

    /// <summary>Waits before handling the request normally.</summary>
    public static Fault Slow(TimeSpan delay) => new("slow", Delay: delay);

    /// <summary>Resets the connection without an answer.</summary>
    public static Fault Drop() => new("drop");

    /// <summary>For a Storage download: announces the full length, sends half of the file, then resets the connection (the server dies mid-download).</summary>
    public static Fault Truncate() => new("truncate");
}

/// <summary>What the stand-in saw of one request.</summary>
internal sealed record SeenRequest(string Method, string PathAndQuery, int Status, int Rows, int Bytes, int DuplicateIds, string? Prefer, string? ContentType, DateTimeOffset At);

/// <summary>
/// A small PostgREST-compatible server on Kestrel (127.0.0.1, random port) in front of a real PostgreSQL database,
/// for the Supabase sink's tests. It does what the sink relies on, following PostgREST's documented shapes:
/// <list type="bullet">
/// <item><c>apikey</c> + <c>Authorization: Bearer</c> authentication against the configured keys (401 <c>PGRST301</c>);</item>
/// <item><c>POST /rest/v1/{table}?on_conflict=id</c> with a JSON array body and <c>Prefer: resolution=merge-duplicates</c>
/// → one <c>INSERT … ON CONFLICT (id) DO UPDATE</c> (without the preference: a plain INSERT, so a conflict is 409 <c>23505</c>);
/// 201 with an empty body (<c>return=minimal</c>);</item>
/// <item><c>GET /rest/v1/{table}?select=…&amp;order=created_at.asc[,id.asc]&amp;limit=&amp;offset=</c> with filters
/// <c>payload-&gt;&gt;asset=eq.X</c> (plain or double-quoted), <c>payload-&gt;outcome|labels=not.is.null</c>,
/// <c>created_at=gte.|lt.</c>, logic trees <c>or=(…)</c>/<c>and=(…)</c> with nested <c>and(…)</c>/<c>or(…)</c> over
/// <c>created_at</c> and <c>id</c> (<c>eq, gt, gte, lt, lte</c>; values plain or double-quoted, see <see cref="LogicTree"/>),
/// <see cref="MaxRows"/> (<c>db-max-rows</c>), and <c>Prefer: count=exact</c> (a <c>Content-Range</c> header);</item>
/// <item>404 <c>PGRST205</c> for a missing table; PostgreSQL errors as <c>{code, message, details, hint}</c> with PostgREST's status mapping (subset);</item>
/// <item>fault injection: statuses (429 + Retry-After, 503, …), slow answers, dropped connections, a request size limit (413).</item>
/// </list>
/// Not emulated: JWT roles and row level security (every accepted key acts as the service role), the schema cache
/// (a table is visible as soon as it exists), other operators, <c>Prefer: return=representation</c>, counting headers,
/// and RPC. Storage (<c>/storage/v1/object/{bucket}/{name}</c> with folders, and its list endpoint) is emulated on a
/// temporary directory, see <see cref="StorageAsync"/> and <see cref="StorageListAsync"/>.
/// </summary>
internal sealed partial class PostgrestStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _connectionString;
    private readonly HashSet<string> _keys;

    private PostgrestStandIn(WebApplication app, string connectionString, IEnumerable<string> keys)
    {
        _app = app;
        _connectionString = connectionString;
        _keys = new HashSet<string>(keys, StringComparer.Ordinal);
    }

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Faults applied to the next requests, one per request, in order.</summary>
    public ConcurrentQueue<Fault> Faults { get; } = new();

    /// <summary>
    /// Consulted for each request when <see cref="Faults"/> is empty: a fault to apply, or <see langword="null"/> to
    /// answer normally (e.g. an outage that lasts a given time).
    /// </summary>
    public Func<Fault?>? FaultSource { get; set; }

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>PostgREST's <c>db-max-rows</c>: no select answers more rows, whatever its <c>limit</c>; <see langword="null"/> for no cap.</summary>
    public int? MaxRows { get; set; }

    /// <summary>Bodies larger than this are refused with 413 (as Supabase's API gateway does); <see langword="null"/> for no limit.</summary>
    public int? MaxRequestBytes { get; set; }

    public static async Task<PostgrestStandIn> StartAsync(string connectionString, params string[] keys)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        WebApplication app = builder.Build();
        var server = new PostgrestStandIn(app, connectionString, keys);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Url = new Uri(app.Urls.First() + "/");
        return server;
    }

    /// <summary>Runs the package's bootstrap SQL in <paramref name="connectionString"/>'s database, as a user would in the SQL editor.</summary>
    public static Task CreateTableAsync(string connectionString, string table = SupabaseOptions.DefaultTable)
        => Db.ExecuteAsync(connectionString, SupabaseBootstrap.GetSql(table));

    /// <summary>The directory holding the Storage buckets (one subdirectory each); removed on disposal.</summary>
    public string StorageRoot { get; } = Directory.CreateTempSubdirectory("vince-storage-").FullName;

    /// <summary>Stops the server (a test may do this mid-request to simulate a crash) and removes the storage; idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.DisposeAsync();
        Directory.Delete(StorageRoot, recursive: true);
    }

    private int _disposed;

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }

        int rows = 0;
        int duplicates = 0;
        int status;
        try
        {
            status = await AnswerAsync(context, body, (r, d) => (rows, duplicates) = (r, d));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            status = 499;
        }

        Requests.Enqueue(new SeenRequest(request.Method, request.Path + request.QueryString, status, rows, body.Length, duplicates,
            request.Headers["Prefer"].ToString(), request.ContentType, DateTimeOffset.UtcNow));
    }

    private async Task<int> AnswerAsync(HttpContext context, byte[] body, Action<int, int> seen)
    {
        HttpRequest request = context.Request;
        if (Faults.TryDequeue(out Fault? fault) || (fault = FaultSource?.Invoke()) is not null)
        {
            switch (fault.Kind)
            {
                case "drop":
                    context.Abort();
                    return 0;
                case "slow":
                    await Task.Delay(fault.Delay, context.RequestAborted);
                    break;
                case "truncate":
                    break;
                default:
                    if (fault.RetryAfter is not null)
                    {
                        context.Response.Headers.RetryAfter = fault.RetryAfter;
                    }

                    return await ErrorAsync(context, fault.Status, fault.Code ?? "PGRST000", $"Injected fault {fault.Status}", null, null);
            }
        }

        string? apiKey = request.Headers["apikey"].FirstOrDefault();
        string? authorization = request.Headers.Authorization.FirstOrDefault();
        if (apiKey is null || !_keys.Contains(apiKey) || authorization != "Bearer " + apiKey)
        {
            return await ErrorAsync(context, 401, "PGRST301", "JWSError JWSInvalidSignature", null, null);
        }

        if (MaxRequestBytes is { } limit && body.Length > limit)
        {
            // Supabase's gateway (Kong) answers this itself, not PostgREST.
            context.Response.StatusCode = 413;
            await context.Response.WriteAsJsonAsync(new { message = "Request size limit exceeded" });
            return 413;
        }

        Match list = StorageListPath().Match(request.Path.Value ?? "");
        if (list.Success && request.Method == "POST")
        {
            return await StorageListAsync(context, list.Groups[1].Value, body);
        }

        Match storage = StoragePath().Match(request.Path.Value ?? "");
        if (storage.Success)
        {
            return await StorageAsync(context, storage.Groups[1].Value, Uri.UnescapeDataString(storage.Groups[2].Value), body, fault);
        }

        Match path = TablePath().Match(request.Path.Value ?? "");
        if (!path.Success)
        {
            return await ErrorAsync(context, 404, "PGRST125", $"Invalid path specified in request URL", null, null);
        }

        string table = path.Groups[1].Value;
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(context.RequestAborted);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", connection))
        {
            exists.Parameters.AddWithValue("name", "public." + table);
            if (!(bool)(await exists.ExecuteScalarAsync(context.RequestAborted))!)
            {
                return await ErrorAsync(context, 404, "PGRST205", $"Could not find the table 'public.{table}' in the schema cache", null, null);
            }
        }

        try
        {
            return request.Method switch
            {
                "POST" => await UpsertAsync(context, connection, table, body, seen),
                "GET" => await SelectAsync(context, connection, table),
                _ => await ErrorAsync(context, 405, "PGRST117", $"Unsupported HTTP method: {request.Method}", null, null),
            };
        }
        catch (PostgresException ex)
        {
            return await ErrorAsync(context, StatusOf(ex.SqlState), ex.SqlState, ex.MessageText, ex.Detail, ex.Hint);
        }
    }

    private static async Task<int> UpsertAsync(HttpContext context, NpgsqlConnection connection, string table, byte[] body, Action<int, int> seen)
    {
        if (context.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true)
        {
            return await ErrorAsync(context, 415, "PGRST107", $"None of these media types are available: {context.Request.ContentType}", null, null);
        }

        JsonElement rows;
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            rows = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            return await ErrorAsync(context, 400, "PGRST102", "Empty or invalid json", ex.Message, null);
        }

        if (rows.ValueKind == JsonValueKind.Array)
        {
            var ids = rows.EnumerateArray().Select(r => r.TryGetProperty("id", out JsonElement id) ? id.ToString() : "").ToList();
            seen(ids.Count, ids.Count - ids.Distinct(StringComparer.Ordinal).Count());
        }

        string prefer = context.Request.Headers["Prefer"].ToString();
        bool merge = prefer.Contains("resolution=merge-duplicates", StringComparison.Ordinal)
                     && context.Request.Query["on_conflict"].ToString() == "id";
        string sql = $"INSERT INTO public.{table} (id, created_at, payload) SELECT r.id, r.created_at, r.payload " +
                     "FROM jsonb_to_recordset(CASE jsonb_typeof(@body::jsonb) WHEN 'array' THEN @body::jsonb ELSE jsonb_build_array(@body::jsonb) END) " +
                     "AS r(id text, created_at timestamptz, payload jsonb)" +
                     (merge ? " ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at, payload = EXCLUDED.payload" : "");
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("body", Encoding.UTF8.GetString(body));
        await command.ExecuteNonQueryAsync(context.RequestAborted);
        context.Response.StatusCode = 201;
        return 201;
    }

    private async Task<int> SelectAsync(HttpContext context, NpgsqlConnection connection, string table)
    {
        IQueryCollection query = context.Request.Query;
        string[] columns = (query["select"].FirstOrDefault() ?? "*").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (columns.Any(c => c is not ("*" or "id" or "created_at" or "payload")))
        {
            return await ErrorAsync(context, 400, "PGRST100", "failed to parse select parameter", null, null);
        }

        var where = new List<string>();
        var command = new NpgsqlCommand { Connection = connection };
        int parameter = 0;
        foreach ((string key, Microsoft.Extensions.Primitives.StringValues values) in query)
        {
            foreach (string value in values.Select(v => v ?? ""))
            {
                string name = "p" + parameter++;
                if (key == "payload->>asset" && value.StartsWith("eq.", StringComparison.Ordinal))
                {
                    string operand = value[3..];
                    if (operand.Length >= 2 && operand[0] == '"' && operand[^1] == '"')
                    {
                        operand = operand[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
                    }

                    where.Add($"payload->>'asset' = @{name}");
                    command.Parameters.AddWithValue(name, operand);
                }
                else if (key is "payload->outcome" or "payload->labels" && value == "not.is.null")
                {
                    // As PostgREST: SQL NULL only (a JSON null would pass; the records omit nulls).
                    where.Add($"payload->'{key["payload->".Length..]}' IS NOT NULL");
                }
                else if (key == "created_at" && (value.StartsWith("gte.", StringComparison.Ordinal) || value.StartsWith("lt.", StringComparison.Ordinal)))
                {
                    bool gte = value.StartsWith("gte.", StringComparison.Ordinal);
                    where.Add($"created_at {(gte ? ">=" : "<")} @{name}::timestamptz");
                    command.Parameters.AddWithValue(name, value[(gte ? 4 : 3)..]);
                }
                else if (key is "or" or "and")
                {
                    if (LogicTree.TryTranslate(key, value, command.Parameters, ref parameter) is not { } condition)
                    {
                        return await ErrorAsync(context, 400, "PGRST100", $"failed to parse logic tree ({value})", null, null);
                    }

                    where.Add(condition);
                }
                else if (key is not ("select" or "order" or "limit" or "offset"))
                {
                    return await ErrorAsync(context, 400, "PGRST100", $"failed to parse filter ({key})", null, null);
                }
            }
        }

        string order = query["order"].ToString() switch
        {
            "" => "",
            "created_at.asc" => " ORDER BY created_at ASC",
            "created_at.asc,id.asc" => " ORDER BY created_at ASC, id ASC",
            "created_at.desc" => " ORDER BY created_at DESC",
            _ => "?",
        };
        if (order == "?")
        {
            return await ErrorAsync(context, 400, "PGRST100", "failed to parse order", null, null);
        }

        string list = string.Join(", ", columns.SelectMany(c => c == "*" ? ["id", "created_at", "payload"] : new[] { c }));
        // PostgREST's max-rows caps every answer, whatever limit the client asked for.
        int limit = int.TryParse(query["limit"], out int asked) ? asked : 0;
        if (MaxRows is { } max && (limit <= 0 || limit > max))
        {
            limit = max;
        }

        command.CommandText = $"SELECT coalesce(jsonb_agg(t), '[]'::jsonb)::text FROM (SELECT {list} FROM public.{table}" +
                              (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + order +
                              (limit > 0 ? $" LIMIT {limit}" : "") +
                              (int.TryParse(query["offset"], out int offset) ? $" OFFSET {offset}" : "") + ") t";
        await using (command)
        {
            if (context.Request.Headers["Prefer"].ToString().Contains("count=exact", StringComparison.Ordinal))
            {
                await using var count = new NpgsqlCommand($"SELECT count(*) FROM public.{table}" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : ""), connection);
                foreach (NpgsqlParameter p in command.Parameters)
                {
                    count.Parameters.AddWithValue(p.ParameterName, p.Value!);
                }

                long total = (long)(await count.ExecuteScalarAsync(context.RequestAborted))!;
                context.Response.Headers["Content-Range"] = total == 0 ? "*/0" : $"0-{Math.Min(total, limit > 0 ? limit : total) - 1}/{total}";
            }

            string json = (string)(await command.ExecuteScalarAsync(context.RequestAborted))!;
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(json, context.RequestAborted);
            return 200;
        }
    }

    /// <summary>PostgREST's mapping of SQLSTATEs to statuses (the subset the tests meet).</summary>
    private static int StatusOf(string sqlState) => sqlState switch
    {
        "23505" or "23503" => 409,
        "42501" => 403,
        "42P01" => 404,
        "54000" => 413,
        _ when sqlState.StartsWith("22", StringComparison.Ordinal) || sqlState.StartsWith("23", StringComparison.Ordinal) || sqlState.StartsWith("42", StringComparison.Ordinal) => 400,
        _ => 500,
    };

    private static async Task<int> ErrorAsync(HttpContext context, int status, string code, string message, string? details, string? hint)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new { code, details, hint, message });
        return status;
    }

    /// <summary>
    /// Storage objects in <see cref="StorageRoot"/>/{bucket}/{name}, where a name may hold folders (<c>runs/&lt;id&gt;/file</c>):
    /// upload (POST/PUT; an existing object needs <c>x-upsert: true</c>) and download (GET), with Supabase Storage's error
    /// shape <c>{statusCode, error, message}</c>. Listing: see <see cref="StorageListAsync"/>. Not emulated: signed URLs,
    /// policies, object metadata beyond the size.
    /// </summary>
    private async Task<int> StorageAsync(HttpContext context, string bucket, string name, byte[] body, Fault? fault)
    {
        string bucketDirectory = Path.Combine(StorageRoot, bucket);
        if (!Directory.Exists(bucketDirectory))
        {
            return await StorageErrorAsync(context, 404, "Bucket not found", "Bucket not found");
        }

        if (name.Split('/').Any(segment => segment.Length == 0 || segment.StartsWith('.')))
        {
            return await StorageErrorAsync(context, 400, "InvalidKey", $"Invalid key: {name}");
        }

        string file = Path.Combine(bucketDirectory, name);
        switch (context.Request.Method)
        {
            case "POST" or "PUT":
                if (File.Exists(file) && context.Request.Headers["x-upsert"].ToString() != "true")
                {
                    // Supabase answers 400 with statusCode "409" in the body.
                    return await StorageErrorAsync(context, 400, "Duplicate", "The resource already exists", "409");
                }

                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                // Written aside and renamed: a reader never sees half an object (Storage replaces objects whole).
                await File.WriteAllBytesAsync(file + ".part", body, context.RequestAborted);
                File.Move(file + ".part", file, overwrite: true);
                context.Response.StatusCode = 200;
                await context.Response.WriteAsJsonAsync(new { Key = $"{bucket}/{name}", Id = Guid.NewGuid() });
                return 200;
            case "GET":
                if (!File.Exists(file))
                {
                    return await StorageErrorAsync(context, 404, "not_found", "Object not found");
                }

                byte[] content = await File.ReadAllBytesAsync(file, context.RequestAborted);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = content.Length;
                if (fault?.Kind == "truncate")
                {
                    await context.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 2), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    context.Abort();
                    return 0;
                }

                await context.Response.Body.WriteAsync(content, context.RequestAborted);
                return 200;
            default:
                return await StorageErrorAsync(context, 405, "Method not allowed", context.Request.Method);
        }
    }

    /// <summary>
    /// <c>POST /storage/v1/object/list/{bucket}</c> with <c>{prefix, limit, offset, sortBy: {column: "name", order}}</c>, as
    /// Supabase Storage answers it: the entries directly under the folder <c>prefix</c>, sorted by name, a folder as
    /// <c>{name, id: null, metadata: null}</c> and a file with an id and <c>metadata.size</c>; an unknown folder lists nothing.
    /// </summary>
    private async Task<int> StorageListAsync(HttpContext context, string bucket, byte[] body)
    {
        string bucketDirectory = Path.Combine(StorageRoot, bucket);
        if (!Directory.Exists(bucketDirectory))
        {
            return await StorageErrorAsync(context, 404, "Bucket not found", "Bucket not found");
        }

        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement root = document.RootElement;
        string prefix = root.TryGetProperty("prefix", out JsonElement p) ? p.GetString() ?? "" : "";
        int limit = root.TryGetProperty("limit", out JsonElement l) ? l.GetInt32() : 100;
        int offset = root.TryGetProperty("offset", out JsonElement o) ? o.GetInt32() : 0;
        bool descending = root.TryGetProperty("sortBy", out JsonElement sort) && sort.TryGetProperty("order", out JsonElement order) && order.GetString() == "desc";
        string folder = Path.Combine(bucketDirectory, prefix.Trim('/'));
        var entries = new List<(string Name, bool IsFolder, long Size)>();
        if (Directory.Exists(folder))
        {
            entries.AddRange(Directory.EnumerateDirectories(folder).Select(d => (Path.GetFileName(d), true, 0L)));
            entries.AddRange(Directory.EnumerateFiles(folder).Where(f => !f.EndsWith(".part", StringComparison.Ordinal)).Select(f => (Path.GetFileName(f), false, new FileInfo(f).Length)));
        }

        IEnumerable<(string Name, bool IsFolder, long Size)> sorted = descending
            ? entries.OrderByDescending(e => e.Name, StringComparer.Ordinal)
            : entries.OrderBy(e => e.Name, StringComparer.Ordinal);
        var page = sorted.Skip(offset).Take(limit).Select(e => e.IsFolder
            ? (object)new { name = e.Name, id = (string?)null, metadata = (object?)null }
            : new { name = e.Name, id = (string?)Guid.NewGuid().ToString(), metadata = (object?)new { size = e.Size } }).ToList();
        context.Response.StatusCode = 200;
        await context.Response.WriteAsJsonAsync(page);
        return 200;
    }

    private static async Task<int> StorageErrorAsync(HttpContext context, int status, string error, string message, string? statusCode = null)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new { statusCode = statusCode ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture), error, message });
        return status;
    }

    /// <summary>Creates an empty bucket.</summary>
    public void CreateBucket(string bucket = "vince-ml-models") => Directory.CreateDirectory(Path.Combine(StorageRoot, bucket));

    [GeneratedRegex("^/storage/v1/object/list/([A-Za-z0-9_.-]+)$")]
    private static partial Regex StorageListPath();

    [GeneratedRegex("^/storage/v1/object/([A-Za-z0-9_.-]+)/(.+)$")]
    private static partial Regex StoragePath();

    [GeneratedRegex("^/rest/v1/([a-z_][a-z0-9_]*)$")]
    private static partial Regex TablePath();
}
