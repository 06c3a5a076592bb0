using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Supabase.Diagnostics;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// Reads feature records back from the Supabase table through PostgREST, with the same calls and the same
/// <see cref="FeatureQuery"/> as the JSONL and Postgres readers, so training can use any of them.
/// </summary>
/// <remarks>
/// Pages through <c>GET /rest/v1/vince_paper_bot_features?select=id,created_at,payload&amp;order=created_at.asc,id.asc&amp;limit=N</c>
/// with filters <c>payload-&gt;&gt;asset=eq.X</c>, <c>payload-&gt;outcome=not.is.null</c> and <c>payload-&gt;labels=not.is.null</c>
/// (complete trades) and <c>created_at=gte./lt.</c>, by keyset: each next page asks for the rows after the last one
/// read, <c>or=(created_at.gt.T,and(created_at.eq.T,id.gt.I))</c>, so memory stays one page whatever the table's
/// size, rows written while paging neither shift nor repeat a page, and ties on <c>created_at</c> across a page
/// boundary are neither lost nor repeated. Paging stops at the first empty page, so a server <c>max-rows</c> lower
/// than the page size loses nothing. Each page is retried like the sink's writes. Rows whose payload is not a
/// feature record are skipped with a warning.
/// </remarks>
public sealed class SupabaseFeatureReader : IFeatureQuery
{
    private readonly PostgrestClient _client;
    private readonly string _table;
    private readonly int _pageSize;
    private readonly ILogger _logger;
    private long _skippedRows;

    internal SupabaseFeatureReader(PostgrestClient client, string table, int pageSize, ILogger? logger)
    {
        _client = client;
        _table = table;
        _pageSize = pageSize;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The table read, <c>public.&lt;table&gt;</c>.</summary>
    public string TableName => "public." + _table;

    /// <summary>Rows skipped because their payload was not a feature record (all calls together).</summary>
    public long SkippedRows => Interlocked.Read(ref _skippedRows);

    /// <summary>The records that match <paramref name="query"/>, in decision-time order (ties by id), one page at a time.</summary>
    /// <param name="query">Filter; <see langword="null"/> for all records.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The records, streamed.</returns>
    /// <exception cref="SupabaseRequestException">The server refused a page or stayed unreachable.</exception>
    public async IAsyncEnumerable<FeatureRecord> ReadRecordsAsync(FeatureQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        query ??= FeatureQuery.All;
        string filters = Filters(query);
        string after = "";
        while (true)
        {
            Uri page = _client.Resolve($"rest/v1/{_table}?select=id,created_at,payload&order=created_at.asc,id.asc{filters}{after}&limit={_pageSize}");
            byte[] body;
            using (HttpResponseMessage response = await _client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, page), cancellationToken).ConfigureAwait(false))
            {
                body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            }

            List<FeatureRecord> records = Parse(body, out int rows, out (string CreatedAt, string Id) last);
            if (rows == 0)
            {
                yield break;
            }

            after = After(last.CreatedAt, last.Id);
            foreach (FeatureRecord record in records)
            {
                if (!query.CompleteOnly || record.IsComplete)
                {
                    yield return record;
                }
            }
        }
    }

    /// <summary>Counts the records that match <paramref name="query"/> (PostgREST <c>Prefer: count=exact</c>).</summary>
    /// <param name="query">Filter; <see langword="null"/> counts every record.</param>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The count.</returns>
    /// <exception cref="SupabaseRequestException">The server refused the request or stayed unreachable.</exception>
    public async Task<int> CountAsync(FeatureQuery? query = null, CancellationToken cancellationToken = default)
    {
        Uri uri = _client.Resolve($"rest/v1/{_table}?select=id{Filters(query ?? FeatureQuery.All)}&limit=1");
        using HttpResponseMessage response = await _client.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.TryAddWithoutValidation("Prefer", "count=exact");
            return request;
        }, cancellationToken).ConfigureAwait(false);

        // Content-Range: 0-0/42, or */0 when nothing matches.
        string? range = response.Content.Headers.TryGetValues("Content-Range", out IEnumerable<string>? values) ? values.FirstOrDefault() : null;
        int slash = range?.LastIndexOf('/') ?? -1;
        if (slash < 0 || !int.TryParse(range.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            throw new SupabaseRequestException($"Supabase reader: the server did not return a count (Content-Range was '{range}'); is this a PostgREST endpoint?");
        }

        return count;
    }

    /// <summary>Counts complete trades (records with outcome and labels).</summary>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The count.</returns>
    public Task<int> CountCompleteAsync(CancellationToken cancellationToken = default) => CountAsync(FeatureQuery.Complete, cancellationToken);

    /// <summary>The PostgREST filters of <paramref name="query"/>, each starting with '&amp;'.</summary>
    internal static string Filters(FeatureQuery query)
    {
        var filters = new StringBuilder();
        if (query.CompleteOnly)
        {
            filters.Append("&payload->outcome=not.is.null&payload->labels=not.is.null");
        }

        if (query.Asset is not null)
        {
            filters.Append("&payload->>asset=eq.").Append(Quoted(query.Asset));
        }

        if (query.From is { } from)
        {
            filters.Append("&created_at=gte.").Append(Uri.EscapeDataString(Iso(from)));
        }

        if (query.To is { } to)
        {
            filters.Append("&created_at=lt.").Append(Uri.EscapeDataString(Iso(to)));
        }

        return filters.ToString();
    }

    /// <summary>
    /// The keyset filter of the page after the row (<paramref name="createdAt"/>, <paramref name="id"/>): rows later in
    /// decision-time order, <c>&amp;or=(created_at.gt.T,and(created_at.eq.T,id.gt.I))</c>. <c>created_at</c> is sent back
    /// as the server wrote it, so no precision is lost; rows written meanwhile neither shift nor repeat a page.
    /// </summary>
    internal static string After(string createdAt, string id)
    {
        string time = Quoted(createdAt);
        return $"&or=(created_at.gt.{time},and(created_at.eq.{time},id.gt.{Quoted(id)}))";
    }

    /// <summary>A filter value in double quotes (PostgREST then takes ',', '.', ':' and '()' literally; '"' and '\' escaped), URL-encoded.</summary>
    private static string Quoted(string value)
        => Uri.EscapeDataString("\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");

    private static string Iso(DateTimeOffset time)
        => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds()).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private List<FeatureRecord> Parse(byte[] body, out int rows, out (string CreatedAt, string Id) last)
    {
        using JsonDocument document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new SupabaseRequestException("Supabase reader: the server answered a select with something other than a JSON array; is this a PostgREST endpoint?");
        }

        rows = document.RootElement.GetArrayLength();
        var records = new List<FeatureRecord>(rows);
        last = default;
        int index = 0;
        foreach (JsonElement row in document.RootElement.EnumerateArray())
        {
            index++;
            last = Key(row);
            try
            {
                if (row.TryGetProperty("payload", out JsonElement payload) && payload.ValueKind == JsonValueKind.Object
                    && payload.Deserialize(FeatureJson.RecordTypeInfo) is { Id.Length: > 0 } record)
                {
                    records.Add(record);
                    continue;
                }

                Skip(index, "no payload object with an id");
            }
            catch (JsonException ex)
            {
                Skip(index, ex.Message);
            }
        }

        return records;
    }

    /// <summary>The row's paging key; every row has one (the columns are NOT NULL), so a row without is not PostgREST's.</summary>
    private static (string CreatedAt, string Id) Key(JsonElement row)
        => row.ValueKind == JsonValueKind.Object
           && row.TryGetProperty("created_at", out JsonElement createdAt) && createdAt.ValueKind == JsonValueKind.String
           && row.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.String
            ? (createdAt.GetString()!, id.GetString()!)
            : throw new SupabaseRequestException("Supabase reader: a row came back without its id and created_at; is this a PostgREST endpoint?");

    private void Skip(int row, string reason)
    {
        Interlocked.Increment(ref _skippedRows);
        SupabaseLog.SkippedRow(_logger, row, TableName, reason);
    }
}
