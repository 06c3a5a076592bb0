namespace Vince.FeatureStore.Supabase;

/// <summary>What to do when writes with the anon key are refused: said at start-up and in the error of a refused write.</summary>
internal static class AnonWriteAdvice
{
    public const string Text =
        "Run the SQL of 'vince-features bootstrap-sql --allow-anon-writes' once in the SQL editor (it adds policies that let the anon role insert, update and read the rows), " +
        "or set " + SupabaseSettings.ServiceRoleKeyVariable + ", the service-role key, which bypasses row level security.";
}
