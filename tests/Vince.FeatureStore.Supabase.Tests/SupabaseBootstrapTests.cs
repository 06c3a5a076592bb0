using Vince.FeatureStore.Supabase.Tests.Support;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>The embedded bootstrap SQL on a real PostgreSQL server.</summary>
public sealed class SupabaseBootstrapTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public void The_script_is_embedded_and_can_target_another_table()
    {
        Assert.Contains("CREATE TABLE IF NOT EXISTS public.vince_paper_bot_features", SupabaseBootstrap.Sql);
        Assert.Contains("ENABLE ROW LEVEL SECURITY", SupabaseBootstrap.Sql);
        string other = SupabaseBootstrap.GetSql("ml_features");
        Assert.DoesNotContain("vince_paper_bot_features", other);
        Assert.Contains("CREATE TABLE IF NOT EXISTS public.ml_features", other);
        Assert.Throws<ArgumentException>(() => SupabaseBootstrap.GetSql("x; DROP TABLE y"));
    }

    [PostgresFact]
    public async Task The_script_is_idempotent_and_creates_the_table_indexes_and_rls()
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("boot");
        string cs = fixture.Cluster.ConnectionString(database);
        await Db.ExecuteAsync(cs, SupabaseBootstrap.Sql);
        await Db.ExecuteAsync(cs, "INSERT INTO public.vince_paper_bot_features VALUES ('keep', now(), '{}')");
        await Db.ExecuteAsync(cs, SupabaseBootstrap.Sql);

        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM public.vince_paper_bot_features"));
        Assert.True(await Db.ScalarAsync<bool>(cs, "SELECT relrowsecurity FROM pg_class WHERE oid = 'public.vince_paper_bot_features'::regclass"));
        Assert.Equal(4L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'vince_paper_bot_features'"));
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_indexes WHERE indexname = 'vince_paper_bot_features_complete_idx' AND indexdef LIKE '%WHERE%'"));
    }

    [PostgresFact]
    public async Task The_script_creates_the_private_model_bucket_when_storage_is_installed()
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("bootstorage");
        string cs = fixture.Cluster.ConnectionString(database);
        // A minimal stand-in for Supabase's storage.buckets.
        await Db.ExecuteAsync(cs, "CREATE SCHEMA storage; CREATE TABLE storage.buckets (id text PRIMARY KEY, name text NOT NULL, public boolean DEFAULT false)");
        await Db.ExecuteAsync(cs, SupabaseBootstrap.Sql);
        await Db.ExecuteAsync(cs, SupabaseBootstrap.Sql);
        Assert.False(await Db.ScalarAsync<bool>(cs, "SELECT public FROM storage.buckets WHERE id = 'vince-ml-models'"));
    }
}
