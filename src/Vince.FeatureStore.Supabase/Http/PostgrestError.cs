using System.Text;
using System.Text.Json;

namespace Vince.FeatureStore.Supabase;

/// <summary>PostgREST's error body <c>{code, message, details, hint}</c>; any other body becomes <see cref="Message"/>.</summary>
internal sealed record PostgrestError(string? Code, string? Message, string? Details, string? Hint)
{
    private const int MaxTextLength = 500;

    public static PostgrestError? Parse(byte[] body)
    {
        if (body.Length == 0)
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                JsonElement root = document.RootElement;
                return new PostgrestError(Field(root, "code") ?? Field(root, "error"), Field(root, "message") ?? Field(root, "msg"), Field(root, "details"), Field(root, "hint"));
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, a plain-text error): keep the start of the text.
        }

        string text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, MaxTextLength * 4)).Trim();
        return new PostgrestError(null, text.Length > MaxTextLength ? text[..MaxTextLength] + "…" : text, null, null);
    }

    public string Describe()
    {
        var text = new StringBuilder();
        if (Code is not null)
        {
            text.Append(Code).Append(": ");
        }

        text.Append(Message ?? "(no message)");
        if (Details is not null)
        {
            text.Append(" (details: ").Append(Details).Append(')');
        }

        if (Hint is not null)
        {
            text.Append(" (hint: ").Append(Hint).Append(')');
        }

        return text.ToString();
    }

    private static string? Field(JsonElement root, string name)
        => root.TryGetProperty(name, out JsonElement value) ? value.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            JsonValueKind.String => value.GetString(),
            _ => value.GetRawText(),
        } : null;
}
