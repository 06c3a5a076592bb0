using Npgsql;

namespace Vince.FeatureStore.Postgres.Tests;

public sealed class PostgresConnectionStringTests
{
    private static NpgsqlConnectionStringBuilder Parse(string url) => new(PostgresConnectionString.FromUrl(url));

    [Fact]
    public void A_full_url_becomes_a_key_value_connection_string_with_decoded_user_and_password()
    {
        var cs = Parse("postgresql://bot%40team:p%40ss%3Aw%2Frd%25%3B%27%22%20+x@db.example.com:6543/feature%20db?sslmode=require");
        Assert.Equal("db.example.com", cs.Host);
        Assert.Equal(6543, cs.Port);
        Assert.Equal("bot@team", cs.Username);
        Assert.Equal("p@ss:w/rd%;'\" +x", cs.Password);
        Assert.Equal("feature db", cs.Database);
        Assert.Equal(SslMode.Require, cs.SslMode);
    }

    [Theory]
    [InlineData("postgres://u:p@h/db")]
    [InlineData("postgresql://u:p@h/db")]
    [InlineData("  PostgreSQL://u:p@h/db  ")]
    public void Both_schemes_are_accepted(string url)
    {
        Assert.True(PostgresConnectionString.IsUrl(url));
        var cs = Parse(url);
        Assert.Equal(("h", 5432, "u", "p", "db"), (cs.Host, cs.Port, cs.Username, cs.Password, cs.Database));
    }

    [Fact]
    public void A_raw_at_sign_in_the_password_is_tolerated_because_the_last_one_ends_the_user_info()
    {
        var cs = Parse("postgresql://u:p@ss@h:5433/db");
        Assert.Equal(("p@ss", "h", 5433), (cs.Password, cs.Host, cs.Port));
    }

    [Fact]
    public void Parts_may_be_missing()
    {
        var cs = Parse("postgresql://localhost");
        Assert.Equal("localhost", cs.Host);
        Assert.Null(cs.Username);
        Assert.Null(cs.Password);
        Assert.Null(cs.Database);

        cs = Parse("postgresql://u@h:5999");
        Assert.Equal(("u", 5999), (cs.Username, cs.Port));
        Assert.Null(cs.Password);

        cs = Parse("postgresql://u:@h/db");
        Assert.Equal("", cs.Password ?? "");
    }

    [Fact]
    public void Ipv6_several_hosts_and_a_unix_socket_directory()
    {
        var ipv6 = Parse("postgresql://u:p@[::1]:5433/db");
        Assert.Equal(("::1", 5433), (ipv6.Host, ipv6.Port));

        var several = Parse("postgresql://u:p@primary:5432,replica:5433/db?target_session_attrs=read-write");
        Assert.Equal("primary:5432,replica:5433", several.Host);
        Assert.Equal("read-write", several.TargetSessionAttributes);

        var socket = Parse("postgresql://u@/db?host=%2Fvar%2Frun%2Fpostgresql");
        Assert.Equal("/var/run/postgresql", socket.Host);

        var encodedSocket = Parse("postgresql://u@%2Ftmp%2Fpg/db");
        Assert.Equal("/tmp/pg", encodedSocket.Host);
    }

    [Fact]
    public void Libpq_parameters_map_to_npgsql_keywords_and_npgsql_keywords_pass_through()
    {
        var cs = Parse("postgresql://u:p@h/db?sslmode=verify-full&application_name=paper%20bot&connect_timeout=7&sslrootcert=%2Fetc%2Fca.pem&Maximum%20Pool%20Size=3&pgbouncer=true&keepalives_idle=30");
        Assert.Equal(SslMode.VerifyFull, cs.SslMode);
        Assert.Equal("paper bot", cs.ApplicationName);
        Assert.Equal(7, cs.Timeout);
        Assert.Equal("/etc/ca.pem", cs.RootCertificate);
        Assert.Equal(3, cs.MaxPoolSize);
        Assert.Equal(30, cs.TcpKeepAliveTime);

        Assert.Equal(SslMode.VerifyCA, Parse("postgresql://h/db?sslmode=verify-ca").SslMode);
        Assert.Equal(SslMode.Disable, Parse("postgresql://h/db?sslmode=disable").SslMode);
    }

    [Theory]
    [InlineData("postgresql://u:Sup3rSecret@h:notaport/db", "port")]
    [InlineData("postgresql://u:Sup3rSecret@h:70000/db", "port")]
    [InlineData("postgresql://u:Sup3rSecret%zz@h/db", "password has an invalid percent-escape")]
    [InlineData("postgresql://u:Sup3rSecret@h/db?frobnicate=1", "parameter 'frobnicate' is not supported")]
    [InlineData("postgresql://u:Sup3rSecret@h/db?sslmode=sometimes", "parameter 'sslmode' has an invalid value")]
    [InlineData("postgresql://u:Sup3rSecret@[::1/db", "closing ']'")]
    [InlineData("postgresql://u:Sup3r#Secret@h/db", "fragment")]
    [InlineData("mysql://u:Sup3rSecret@h/db", "must start with postgresql://")]
    public void Invalid_urls_name_the_problem_but_never_the_password(string url, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresConnectionString.FromUrl(url));
        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain("Sup3r", error.ToString());
    }

    [Fact]
    public void Normalize_accepts_both_forms_and_rejects_bad_key_value_strings_without_values()
    {
        Assert.Equal(new NpgsqlConnectionStringBuilder("Host=h;Username=u;Password=p").ConnectionString, PostgresConnectionString.Normalize("Host=h;Username=u;Password=p"));
        Assert.Contains("Host=h", PostgresConnectionString.Normalize("postgres://u:p@h/db"), StringComparison.Ordinal);
        Assert.False(PostgresConnectionString.IsUrl("Host=h;Database=postgresql://x"));

        var error = Assert.Throws<ArgumentException>(() => PostgresConnectionString.Normalize("Host=h;Password=Sup3rSecret;Bogus Key=1"));
        Assert.DoesNotContain("Sup3rSecret", error.ToString());
    }

    [Fact]
    public void Describe_never_shows_the_password()
    {
        Assert.Equal("bot@db.example.com:6543/app", PostgresConnectionString.Describe("postgresql://bot:Sup3rSecret@db.example.com:6543/app"));
        Assert.Equal("u@h:5432/(default database)", PostgresConnectionString.Describe("Host=h;Username=u;Password=Sup3rSecret"));
        Assert.Equal("(invalid connection string)", PostgresConnectionString.Describe("postgresql://u:Sup3rSecret@h:x/db"));
    }
}
