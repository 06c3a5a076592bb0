using System.Text.Json.Nodes;
using Npgsql;

namespace Vince.FeatureStore.Postgres.Tests.Support;

/// <summary>Small SQL helpers for assertions.</summary>
internal static class Db
{
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>id → (created_at, payload text) of every row.</summary>
    public static async Task<Dictionary<string, (DateTime CreatedAt, string Payload)>> RowsAsync(string connectionString, string table = "plugin_vince.paper_bot_features")
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id, created_at, payload::text FROM {table}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<string, (DateTime, string)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0), (reader.GetDateTime(1), reader.GetString(2)));
        }

        return rows;
    }

    /// <summary>Whether the stored jsonb equals the record's JSON (jsonb reorders keys, so compare as trees).</summary>
    public static void AssertPayload(FeatureRecord expected, string storedJson)
    {
        JsonNode? want = JsonNode.Parse(FeatureJson.Serialize(expected));
        JsonNode? got = JsonNode.Parse(storedJson);
        Assert.True(JsonNode.DeepEquals(want, got), $"Stored payload differs.\nExpected: {want?.ToJsonString()}\nStored:   {got?.ToJsonString()}");
    }

    /// <summary>Whether the stored jsonb is <paramref name="recorded"/> as the store logged it: the same record plus the <c>updatedAt</c> the store gave it.</summary>
    public static void AssertPayloadAsRecorded(FeatureRecord recorded, string storedJson)
    {
        long? updatedAt = JsonNode.Parse(storedJson)?["updatedAt"]?.GetValue<long>();
        Assert.True(updatedAt > 0, $"The stored payload has no updatedAt: {storedJson}");
        AssertPayload(recorded with { UpdatedAt = updatedAt }, storedJson);
    }

    public static DateTime Utc(long unixMs) => DateTime.UnixEpoch.AddMilliseconds(unixMs);
}
