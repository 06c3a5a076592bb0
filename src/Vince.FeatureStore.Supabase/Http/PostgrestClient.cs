using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Supabase.Diagnostics;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// Sends PostgREST requests with the Supabase headers and retries transient failures (network, timeout, 408, 429,
/// 5xx) with exponential backoff and jitter, honouring <c>Retry-After</c>; waits use the <see cref="TimeProvider"/>.
/// Permanent failures throw <see cref="SupabaseRequestException"/> at once. The key is only ever put in headers.
/// </summary>
internal sealed class PostgrestClient
{
    private readonly Func<HttpClient> _http;
    private readonly Uri _baseUrl;
    private readonly string _apiKey;
    private readonly bool _anonKey;
    private readonly SupabaseOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _who;

    public PostgrestClient(Func<HttpClient> http, SupabaseSettings settings, SupabaseOptions options, ILogger logger, TimeProvider time)
    {
        _http = http;
        _baseUrl = settings.Url ?? throw new ArgumentException("No Supabase URL.", nameof(settings));
        _apiKey = settings.ApiKey ?? throw new ArgumentException("No Supabase key.", nameof(settings));
        _anonKey = settings.IsAnonKey;
        _options = options;
        _logger = logger;
        _time = time;
        _who = Describe(options.Name);
    }

    /// <summary>How messages name the sink: <c>Supabase sink '&lt;name&gt;'</c> (log events carry the bare name).</summary>
    public static string Describe(string sinkName) => $"Supabase sink '{sinkName}'";

    public string Who => _who;

    /// <summary>Test hook: the jitter source (returns [0, 1)).</summary>
    internal Func<double> Random { get; set; } = System.Random.Shared.NextDouble;

    /// <summary>The clock of timeouts and retry waits, also the one stamping what the client writes.</summary>
    public TimeProvider Time => _time;

    public Uri Resolve(string relative) => new(_baseUrl, relative);

    /// <summary>
    /// Sends the request built by <paramref name="create"/> until it succeeds; the caller disposes the (buffered) response.
    /// <paramref name="advice"/> may replace the table-oriented advice of a permanent error (return <see langword="null"/> to keep it).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken, Func<HttpStatusCode, string?, string?>? advice = null)
    {
        for (int attempt = 1; ; attempt++)
        {
            using HttpRequestMessage request = create();
            request.Headers.TryAddWithoutValidation("apikey", _apiKey);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
            string what = $"{request.Method} {request.RequestUri?.AbsolutePath}";

            string failure;
            HttpStatusCode? status = null;
            PostgrestError? error = null;
            TimeSpan? retryAfter = null;
            Exception? cause = null;
            long started = Stopwatch.GetTimestamp();
            using (var timeout = new CancellationTokenSource(_options.RequestTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                HttpResponseMessage? response = null;
                try
                {
                    response = await _http().SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                        SupabaseLog.Response(_logger, _options.Name, what, response.StatusCode, elapsedMs);
                    }

                    if (response.IsSuccessStatusCode)
                    {
                        HttpResponseMessage success = response;
                        response = null;
                        return success;
                    }

                    status = response.StatusCode;
                    byte[] body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
                    error = PostgrestError.Parse(body);
                    if (!IsTransient(response.StatusCode))
                    {
                        throw Permanent(what, response.StatusCode, error, advice);
                    }

                    retryAfter = RetryAfter(response.Headers.RetryAfter);
                    failure = $"{(int)response.StatusCode} {response.ReasonPhrase}{(error is null ? "" : ": " + error.Describe())}";
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = $"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s";
                    cause = ex;
                }
                catch (HttpRequestException ex)
                {
                    failure = "network error: " + ex.Message;
                    cause = ex;
                }
                catch (IOException ex)
                {
                    failure = "network error: " + ex.Message;
                    cause = ex;
                }
                finally
                {
                    response?.Dispose();
                }
            }

            if (attempt >= _options.MaxAttempts)
            {
                throw new SupabaseRequestException(
                    $"{_who}: {what} failed {attempt} time(s), last: {failure}. The failure looks transient; the feature store retries the batch later from its cursor.",
                    status, FeatureSinkFailureKind.Transient, error, cause);
            }

            TimeSpan delay = retryAfter ?? Backoff(attempt);
            if (delay > _options.MaxRetryDelay)
            {
                throw new SupabaseRequestException(
                    $"{_who}: {what} failed ({failure}) and the server asked to wait {delay.TotalSeconds:0.###} s (Retry-After), longer than MaxRetryDelay ({_options.MaxRetryDelay.TotalSeconds:0.###} s); the feature store retries the batch later from its cursor.",
                    status, FeatureSinkFailureKind.Transient, error, cause);
            }

            if (_logger.IsEnabled(LogLevel.Warning))
            {
                SupabaseLog.Retrying(_logger, _options.Name, attempt, _options.MaxAttempts, failure, delay.TotalMilliseconds, retryAfter is null ? "" : " (Retry-After)");
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Worth retrying: 408, 429 and 5xx except 501 (Not Implemented does not change by waiting).</summary>
    internal static bool IsTransient(HttpStatusCode status)
        => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || ((int)status >= 500 && status != HttpStatusCode.NotImplemented);

    /// <summary>
    /// A refusal that is not worth retrying: a PostgreSQL data or constraint error (SQLSTATE class 22 or 23, or a
    /// trigger's RAISE) refuses a record, which the pipeline parks; anything else (401, 403, 404, 501, PGRST codes,
    /// 42xxx) blocks the sink until someone fixes the key, the table or the policies.
    /// </summary>
    internal static FeatureSinkFailureKind KindOf(HttpStatusCode status, string? code)
        => code is { Length: 5 } && (code.StartsWith("22", StringComparison.Ordinal) || code.StartsWith("23", StringComparison.Ordinal) || code == "P0001")
            ? FeatureSinkFailureKind.RecordRejected
            : FeatureSinkFailureKind.Permanent;

    private TimeSpan Backoff(int attempt)
    {
        double exponent = Math.Min(attempt - 1, 30);
        double ceilingMs = Math.Min(_options.MaxRetryDelay.TotalMilliseconds, _options.InitialRetryDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceilingMs * (0.5 + (0.5 * Random())));
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header)
    {
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            TimeSpan wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private SupabaseRequestException Permanent(string what, HttpStatusCode status, PostgrestError? error, Func<HttpStatusCode, string?, string?>? advice)
        => new($"{_who}: {what} failed with {(int)status} {status}: {error?.Describe() ?? "(empty body)"}. {advice?.Invoke(status, error?.Code) ?? Advice(status, error?.Code)}",
               status, KindOf(status, error?.Code), error);

    private string Advice(HttpStatusCode status, string? code)
    {
        string table = "public." + _options.Table;
        return (status, code) switch
        {
            // PostgREST answers a row level security refusal with 401 for the anon role and 403 otherwise (code 42501).
            (_, "42501") or (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, _) when _anonKey && code is not ("PGRST301" or "PGRST302" or "PGRST303") =>
                $"Writes with an anon key need a policy on {table}: row level security refuses them. {AnonWriteAdvice.Text}",
            (_, "PGRST205" or "42P01") or (HttpStatusCode.NotFound, _) =>
                $"The table {table} does not exist or PostgREST has not loaded it: run the bootstrap SQL (supabase-feature-store-bootstrap.sql) in the Supabase SQL editor; it ends with NOTIFY pgrst, 'reload schema'.",
            (_, "PGRST301" or "PGRST302" or "PGRST303") or (HttpStatusCode.Unauthorized, _) =>
                $"The API key was rejected: check that {SupabaseSettings.ServiceRoleKeyVariable} (or {SupabaseSettings.AnonKeyVariable}) is a key of this project (Project Settings → API) and matches the URL.",
            (_, "42501") or (HttpStatusCode.Forbidden, _) =>
                $"The key may not write {table}: use the service-role key ({SupabaseSettings.ServiceRoleKeyVariable}), which bypasses row level security, or add insert and update policies for the key's role.",
            (HttpStatusCode.RequestEntityTooLarge, _) =>
                "The request is larger than the server accepts: lower MaxBatchBytes.",
            _ => $"Check that {table} has the columns (id text primary key, created_at timestamptz, payload jsonb) created by the bootstrap SQL (supabase-feature-store-bootstrap.sql).",
        };
    }
}
