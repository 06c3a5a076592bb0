namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>Where the URL and key come from, and when writing is on (FORMATS §5). Pure: no environment, no server.</summary>
public sealed class SupabaseSettingsTests
{
    private const string Key = "sk-very-secret-123";

    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    [Theory]
    [InlineData("postgresql://postgres:pw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres", "https://abcdefghijklmnopqrst.supabase.co/")]
    [InlineData("postgres://postgres:p%40ss@db.abcdefghijklmnopqrst.supabase.co/postgres?sslmode=require", "https://abcdefghijklmnopqrst.supabase.co/")]
    [InlineData("postgresql://postgres.abcdefghijklmnopqrst:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres", "https://abcdefghijklmnopqrst.supabase.co/")]
    [InlineData("postgresql://postgres.abcdefghijklmnopqrst:p@ss:w/rd@aws-0-us-east-1.pooler.supabase.com:5432/postgres", "https://abcdefghijklmnopqrst.supabase.co/")]
    [InlineData("Host=db.abcdefghijklmnopqrst.supabase.co;Username=postgres;Password=pw;Database=postgres", "https://abcdefghijklmnopqrst.supabase.co/")]
    [InlineData("Host=aws-0-eu-west-2.pooler.supabase.com;Port=6543;Username=postgres.abcdefghijklmnopqrst;Password=pw", "https://abcdefghijklmnopqrst.supabase.co/")]
    [InlineData("postgresql://postgres:pw@localhost:5432/postgres", null)]
    [InlineData("postgresql://bot:pw@db.internal.example.com/app", null)]
    [InlineData("postgresql://postgres:pw@db.supabase.co/postgres", null)]
    [InlineData("postgresql://postgres.:pw@aws-0.pooler.supabase.com/postgres", null)]
    [InlineData("not a url", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_project_url_is_derived_from_POSTGRES_URL(string? postgresUrl, string? expected)
        => Assert.Equal(expected, SupabaseSettings.DeriveUrlFromPostgresUrl(postgresUrl)?.ToString());

    [Fact]
    public void Options_win_over_the_environment()
    {
        var settings = SupabaseSettings.Resolve(
            new SupabaseOptions { Url = new Uri("https://fromoptions.supabase.co"), ApiKey = Key },
            Env(("SUPABASE_URL", "https://fromenv.supabase.co"), ("SUPABASE_SERVICE_ROLE_KEY", "env-key")));
        Assert.True(settings.IsEnabled);
        Assert.Equal("https://fromoptions.supabase.co/", settings.Url!.ToString());
        Assert.Equal(("options", "options"), (settings.UrlSource, settings.KeySource));
        Assert.Equal(Key, settings.ApiKey);
    }

    [Fact]
    public void The_service_role_key_is_preferred_to_the_anon_key()
    {
        var both = SupabaseSettings.Resolve(new SupabaseOptions(), Env(("SUPABASE_URL", "https://x.supabase.co"), ("SUPABASE_SERVICE_ROLE_KEY", "service"), ("SUPABASE_ANON_KEY", "anon")));
        Assert.Equal(("service", "SUPABASE_SERVICE_ROLE_KEY"), (both.ApiKey, both.KeySource));
        var anon = SupabaseSettings.Resolve(new SupabaseOptions(), Env(("SUPABASE_URL", "https://x.supabase.co"), ("SUPABASE_SERVICE_ROLE_KEY", "  "), ("SUPABASE_ANON_KEY", "anon")));
        Assert.Equal(("anon", "SUPABASE_ANON_KEY"), (anon.ApiKey, anon.KeySource));
        Assert.True(anon.IsEnabled);
    }

    [Fact]
    public void SUPABASE_URL_wins_over_POSTGRES_URL_and_POSTGRES_URL_is_the_fallback()
    {
        const string pg = "postgresql://postgres:pw@db.refref.supabase.co:5432/postgres";
        var explicitUrl = SupabaseSettings.Resolve(new SupabaseOptions(), Env(("SUPABASE_URL", "https://other.supabase.co/"), ("POSTGRES_URL", pg), ("SUPABASE_ANON_KEY", Key)));
        Assert.Equal(("https://other.supabase.co/", "SUPABASE_URL"), (explicitUrl.Url!.ToString(), explicitUrl.UrlSource));
        var derived = SupabaseSettings.Resolve(new SupabaseOptions(), Env(("POSTGRES_URL", pg), ("SUPABASE_ANON_KEY", Key)));
        Assert.Equal(("https://refref.supabase.co/", "POSTGRES_URL"), (derived.Url!.ToString(), derived.UrlSource));
        Assert.True(derived.IsEnabled);
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData("https://x.supabase.co", null, false)]
    [InlineData(null, Key, false)]
    [InlineData("https://x.supabase.co", Key, true)]
    public void Writing_is_on_only_with_both_a_url_and_a_key(string? url, string? key, bool enabled)
    {
        var variables = new List<(string, string)>();
        if (url is not null)
        {
            variables.Add(("SUPABASE_URL", url));
        }

        if (key is not null)
        {
            variables.Add(("SUPABASE_SERVICE_ROLE_KEY", key));
        }

        var settings = SupabaseSettings.Resolve(new SupabaseOptions(), Env([.. variables]));
        Assert.Equal(enabled, settings.IsEnabled);
        Assert.Equal(url is null ? "none" : "SUPABASE_URL", settings.UrlSource);
        Assert.Equal(key is null ? "none" : "SUPABASE_SERVICE_ROLE_KEY", settings.KeySource);
    }

    [Fact]
    public void An_invalid_SUPABASE_URL_is_an_error()
    {
        var error = Assert.Throws<ArgumentException>(() => SupabaseSettings.Resolve(new SupabaseOptions(), Env(("SUPABASE_URL", "x.supabase.co"), ("SUPABASE_SERVICE_ROLE_KEY", Key))));
        Assert.Contains("SUPABASE_URL must be an absolute http(s) URL", error.Message);
        Assert.DoesNotContain(Key, error.Message);
    }

    [Fact]
    public void ToString_of_settings_options_and_sink_never_shows_the_key()
    {
        var options = new SupabaseOptions { Url = new Uri("https://x.supabase.co"), ApiKey = Key };
        var settings = SupabaseSettings.Resolve(options, Env());
        using var http = new HttpClient();
        var sink = new SupabaseFeatureSink(options, http);
        foreach (string text in new[] { options.ToString(), settings.ToString(), sink.ToString(), sink.Settings.ToString() })
        {
            Assert.DoesNotContain(Key, text);
        }

        Assert.Contains("***", options.ToString());
        Assert.Contains("***", settings.ToString());
        Assert.Contains("https://x.supabase.co/rest/v1/vince_paper_bot_features?on_conflict=id", sink.ToString());
    }

    [Fact]
    public void Invalid_options_name_every_problem()
    {
        IReadOnlyList<string> errors = new SupabaseOptions
        {
            Name = "a b",
            Table = "Bad-Table",
            Url = new Uri("ftp://x"),
            MaxBatchRows = 0,
            MaxBatchBytes = 10,
            MaxAttempts = 0,
            ModelBucket = "Models/../x",
        }.Validate();
        Assert.Equal(7, errors.Count);
        Assert.Contains("ModelBucket must be 3 to 63 lower-case letters, digits, '-', '_' or '.' (was 'Models/../x').", errors);
        Assert.Empty(new SupabaseOptions().Validate());
    }

    [Fact]
    public void A_sink_without_url_or_key_cannot_be_created()
    {
        using var http = new HttpClient();
        var error = Assert.Throws<ArgumentException>(() => new SupabaseFeatureSink(new SupabaseOptions { ApiKey = Key }, () => http, null, null, _ => null));
        Assert.Contains("needs a URL and a key", error.Message);
        Assert.DoesNotContain(Key, error.Message);
    }
}
