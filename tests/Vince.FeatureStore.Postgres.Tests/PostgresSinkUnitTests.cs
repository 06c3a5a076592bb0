using System.Text;
using Vince.FeatureStore.Postgres.Migrations;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Postgres.Tests;

/// <summary>The parts of the sink that need no server.</summary>
public sealed class PostgresSinkUnitTests
{
    [Fact]
    public void The_last_version_of_each_id_wins_in_first_seen_order()
    {
        FeatureRecord a1 = Decision("a"), b = Decision("b"), a2 = Complete("a"), c = Decision("c"), a3 = Complete("a", pnl: -5);
        List<FeatureRecord> rows = FeatureBatches.LastVersionPerId([a1, b, a2, c, a3]);
        Assert.Equal(["a", "b", "c"], rows.Select(r => r.Id));
        Assert.Same(a3, rows[0]);
    }

    [Theory]
    [InlineData("""["a\u0000b"]""", """["a\uFFFDb"]""")]
    [InlineData("""["\\u0000"]""", """["\\u0000"]""")]
    [InlineData("""["\\\u0000"]""", """["\\\uFFFD"]""")]
    [InlineData("""["\u0000\u0000","x\"\u0000"]""", """["\uFFFD\uFFFD","x\"\uFFFD"]""")]
    [InlineData("""["\u00001"]""", """["\uFFFD1"]""")]
    [InlineData("""["plain"]""", """["plain"]""")]
    public void NUL_escapes_become_replacement_characters_and_nothing_else_changes(string json, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        bool replaced = FeatureBatches.ReplaceNulEscapes(bytes);
        Assert.Equal(expected, Encoding.UTF8.GetString(bytes));
        Assert.Equal(json != expected, replaced);
    }

    [Fact]
    public void Options_are_validated_and_each_problem_is_named()
    {
        Assert.Empty(new PostgresSinkOptions().Validate());
        var errors = new PostgresSinkOptions { Name = "", Schema = "Public", Table = "1table", CommandTimeout = TimeSpan.Zero, WriteMode = (PostgresWriteMode)9 }.Validate();
        Assert.Equal(5, errors.Count);
        Assert.Throws<ArgumentException>(() => new PostgresFeatureSink(new PostgresSinkOptions { Table = "x;drop", ConnectionString = "Host=h" }));
    }

    [Fact]
    public void Without_any_connection_the_sink_says_what_to_set()
    {
        var error = Assert.Throws<ArgumentException>(() => PostgresFeatureSink.CreateDataSource(new PostgresSinkOptions(), _ => null));
        Assert.Contains("POSTGRES_URL", error.Message);
        using var fromEnvironment = PostgresFeatureSink.CreateDataSource(new PostgresSinkOptions(), name => name == "POSTGRES_URL" ? "postgresql://u:p@envhost:5555/db" : null);
        Assert.Contains("Host=envhost", fromEnvironment.ConnectionString);
    }

    [Fact]
    public void PGlite_is_recognised_from_its_version_string()
    {
        Assert.True(PostgresFeatureSink.IsPglite("PostgreSQL 18.6 (PGlite 0.5.14) on wasm32-unknown-emscripten, compiled by emcc"));
        Assert.False(PostgresFeatureSink.IsPglite("PostgreSQL 15.14 (Debian 15.14-0+deb12u1) on x86_64-pc-linux-gnu"));
    }

    [Fact]
    public void The_advisory_lock_key_is_stable_and_differs_per_table()
    {
        long key = FeatureTableMigrator.AdvisoryLockKey(new PostgresTableName("plugin_vince", "paper_bot_features"));
        Assert.Equal(key, FeatureTableMigrator.AdvisoryLockKey(new PostgresTableName("plugin_vince", "paper_bot_features")));
        Assert.NotEqual(key, FeatureTableMigrator.AdvisoryLockKey(new PostgresTableName("plugin_vince", "other")));
    }

    [Fact]
    public void The_reader_where_clause_matches_the_query()
    {
        Assert.Equal("", PostgresFeatureReader.Where(FeatureQuery.All, null));
        string where = PostgresFeatureReader.Where(FeatureQuery.Complete with { Asset = "BTC", From = DateTimeOffset.UnixEpoch, To = DateTimeOffset.UnixEpoch }, null);
        Assert.Equal(" WHERE " + FeatureTableMigrator.CompletePredicate + " AND payload ->> 'asset' = @asset AND created_at >= @from AND created_at < @to", where);
    }
}
