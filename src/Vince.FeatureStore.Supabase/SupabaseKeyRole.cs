using System.Buffers.Text;
using System.Text.Json;

namespace Vince.FeatureStore.Supabase;

/// <summary>Which Postgres role a Supabase API key acts as, read from the key itself (never logged).</summary>
internal static class SupabaseKeyRole
{
    private const string PublishablePrefix = "sb_publishable_";

    /// <summary>True for a publishable key and for a legacy JWT key whose <c>role</c> claim is <c>anon</c>.</summary>
    public static bool IsAnon(string key)
    {
        if (key.StartsWith(PublishablePrefix, StringComparison.Ordinal))
        {
            return true;
        }

        string[] parts = key.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        try
        {
            byte[] payload = Base64Url.DecodeFromChars(parts[1]);
            using JsonDocument document = JsonDocument.Parse(payload);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("role", out JsonElement role)
                   && role.ValueKind == JsonValueKind.String
                   && role.ValueEquals("anon");
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return false; // not a JWT: the role is unknown, the variable it came from decides
        }
    }
}
