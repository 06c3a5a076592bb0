using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Vince.FeatureStore.Supabase.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// Writing with <c>SUPABASE_ANON_KEY</c>, which the bot allows: row level security (on in the bootstrap SQL) refuses the
/// anon role's writes unless a policy allows them. The SQL runs on a real PostgreSQL server with an <c>anon</c> role granted
/// what Supabase grants it by default, so only the policies decide.
/// </summary>
public sealed class SupabaseAnonKeyTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    /// <summary>A legacy Supabase anon key: a JWT whose role claim is anon (header and signature are not checked here).</summary>
    private static readonly string AnonJwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        + Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"iss":"supabase","ref":"abcdefgh","role":"anon","iat":1769000000,"exp":2084576000}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_')
        + ".c2lnbmF0dXJlLW5vdC1jaGVja2Vk";

    private static readonly string ServiceJwt = AnonJwt.Replace(
        Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"iss":"supabase","ref":"abcdefgh","role":"anon","iat":1769000000,"exp":2084576000}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
        Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"iss":"supabase","ref":"abcdefgh","role":"service_role","iat":1769000000,"exp":2084576000}""")).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
        StringComparison.Ordinal);

    private const string Upsert =
        "INSERT INTO public.vince_paper_bot_features (id, created_at, payload) VALUES ('a', now(), '{\"v\":1}') " +
        "ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, payload = excluded.payload";

    /// <summary>A database prepared by the bootstrap SQL, with Supabase's anon role and its default table grants.</summary>
    private async Task<string> SupabaseLikeDatabaseAsync(string name, bool allowAnonWrites)
    {
        string database = await fixture.Cluster.CreateDatabaseAsync(name);
        string cs = fixture.Cluster.ConnectionString(database);
        await Db.ExecuteAsync(cs, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN; END IF; END $$");
        await Db.ExecuteAsync(cs, SupabaseBootstrap.GetSql(SupabaseOptions.DefaultTable, allowAnonWrites));
        await Db.ExecuteAsync(cs, SupabaseBootstrap.GetSql(SupabaseOptions.DefaultTable, allowAnonWrites)); // idempotent
        // What Supabase's default privileges give the anon role on every table in public.
        await Db.ExecuteAsync(cs, "GRANT USAGE ON SCHEMA public TO anon; GRANT SELECT, INSERT, UPDATE, DELETE ON public.vince_paper_bot_features TO anon");
        return cs;
    }

    private static async Task AsAnonAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SET ROLE anon; " + sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [PostgresFact]
    public async Task Without_the_policies_row_level_security_refuses_every_anon_write()
    {
        string cs = await SupabaseLikeDatabaseAsync("anonrefused", allowAnonWrites: false);

        PostgresException insert = await Assert.ThrowsAsync<PostgresException>(() => AsAnonAsync(cs, Upsert));

        Assert.Equal("42501", insert.SqlState);
        Assert.Contains("row-level security", insert.MessageText, StringComparison.Ordinal);
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM public.vince_paper_bot_features"));
        Assert.DoesNotContain("TO anon", SupabaseBootstrap.Sql, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task With_allow_anon_writes_the_anon_role_inserts_and_updates_under_row_level_security()
    {
        string cs = await SupabaseLikeDatabaseAsync("anonallowed", allowAnonWrites: true);

        await AsAnonAsync(cs, Upsert);                                      // insert path
        await AsAnonAsync(cs, Upsert.Replace("{\"v\":1}", "{\"v\":2}", StringComparison.Ordinal)); // conflict: update path
        await AsAnonAsync(cs, "UPDATE public.vince_paper_bot_features SET payload = '{\"v\":3}' WHERE id = 'a'");

        Assert.True(await Db.ScalarAsync<bool>(cs, "SELECT relrowsecurity FROM pg_class WHERE oid = 'public.vince_paper_bot_features'::regclass"));
        Assert.Equal("{\"v\": 3}", await Db.ScalarAsync<string>(cs, "SELECT payload::text FROM public.vince_paper_bot_features WHERE id = 'a'"));
        Assert.Equal(3L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_policies WHERE tablename = 'vince_paper_bot_features' AND 'anon' = ANY(roles)"));
        // The policies come before the closing PostgREST reload, so it sees them with the table.
        string sql = SupabaseBootstrap.GetSql(SupabaseOptions.DefaultTable, allowAnonWrites: true);
        Assert.True(sql.IndexOf("TO anon", StringComparison.Ordinal) < sql.IndexOf("NOTIFY pgrst", StringComparison.Ordinal));
        Assert.Contains("CREATE POLICY ml_features_anon_insert ON public.ml_features", SupabaseBootstrap.GetSql("ml_features", allowAnonWrites: true), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SupabaseSettings.AnonKeyVariable, "any-anon-key", true)]
    [InlineData(SupabaseSettings.ServiceRoleKeyVariable, "sb_publishable_abc123", true)]
    [InlineData(SupabaseSettings.ServiceRoleKeyVariable, "sb_secret_abc123", false)]
    [InlineData(SupabaseSettings.ServiceRoleKeyVariable, "opaque-service-key", false)]
    public void An_anon_key_is_recognised_by_its_variable_or_by_the_key_itself(string variable, string key, bool anon)
    {
        SupabaseSettings settings = SupabaseSettings.Resolve(new SupabaseOptions { Url = new Uri("https://abcdefgh.supabase.co") }, name => name == variable ? key : null);
        Assert.Equal(anon, settings.IsAnonKey);

        Assert.True(SupabaseSettings.Resolve(new SupabaseOptions { Url = new Uri("https://abcdefgh.supabase.co"), ApiKey = AnonJwt }, _ => null).IsAnonKey);
        Assert.False(SupabaseSettings.Resolve(new SupabaseOptions { Url = new Uri("https://abcdefgh.supabase.co"), ApiKey = ServiceJwt }, _ => null).IsAnonKey);
    }

    [Theory]
    [InlineData(SupabaseSettings.AnonKeyVariable, true)]
    [InlineData(SupabaseSettings.ServiceRoleKeyVariable, false)]
    public async Task At_start_up_the_seeds_line_is_logged_and_an_anon_key_gets_a_warning_that_writes_need_a_policy(string variable, bool warned)
    {
        using var dir = new TempDirectory();
        var logs = new FakeLogCollector();
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        FeatureStoreBuilder store = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = dir.Path;
            o.FsyncOnWrite = false;
            o.ShutdownTimeout = TimeSpan.FromSeconds(2);
        });
        // Port 9 (discard): nothing answers; the start-up lines do not depend on the server.
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["SUPABASE_URL"] = "http://127.0.0.1:9", [variable] = "key-" + Guid.NewGuid().ToString("N") };
        SupabaseFeatureStoreBuilderExtensions.Add(store, null, name => env.GetValueOrDefault(name));
        using IHost host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();

        IReadOnlyList<FakeLogRecord> records = logs.GetSnapshot();
        FakeLogRecord enabled = Assert.Single(records, r => r.Id.Id == 4000);
        Assert.Equal(LogLevel.Information, enabled.Level);
        Assert.Equal("[VinceFeatureStore] Supabase dual-write enabled for ML (table: vince_paper_bot_features)", enabled.Message);
        FakeLogRecord? warning = records.SingleOrDefault(r => r.Id.Id == 4013);
        Assert.Equal(warned, warning is not null);
        if (warning is not null)
        {
            Assert.Equal(LogLevel.Warning, warning.Level);
            Assert.Contains("SUPABASE_ANON_KEY", warning.Message, StringComparison.Ordinal);
            Assert.Contains("bootstrap-sql --allow-anon-writes", warning.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(env[variable], warning.Message, StringComparison.Ordinal);
        }
    }

    [PostgresTheory]
    [InlineData(401, "42501")]
    [InlineData(403, "42501")]
    [InlineData(401, null)]
    public async Task A_refused_anon_write_says_that_it_needs_a_policy(int status, string? code)
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("anonadvice");
        string cs = fixture.Cluster.ConnectionString(database);
        await PostgrestStandIn.CreateTableAsync(cs);
        await using PostgrestStandIn server = await PostgrestStandIn.StartAsync(cs, AnonJwt);
        using var http = new HttpClient();
        server.Faults.Enqueue(Fault.Http(status, code: code));
        var sink = new SupabaseFeatureSink(new SupabaseOptions { Url = server.Url, ApiKey = AnonJwt }, () => http, null, null, _ => null);

        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => sink.WriteAsync([Decision("x")], CancellationToken.None));

        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Contains("Writes with an anon key need a policy on public.vince_paper_bot_features", error.Message, StringComparison.Ordinal);
        Assert.Contains("bootstrap-sql --allow-anon-writes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(AnonJwt, error.ToString(), StringComparison.Ordinal);
    }
}
