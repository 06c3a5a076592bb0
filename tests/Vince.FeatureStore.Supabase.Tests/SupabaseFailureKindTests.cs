using System.Net;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>How a PostgREST answer maps to what the pipeline does: retry, block the sink, or park the record.</summary>
public sealed class SupabaseFailureKindTests
{
    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(501, false)] // Not Implemented does not change by waiting
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    public void Only_timeouts_throttling_and_server_errors_other_than_501_are_transient(int status, bool transient)
        => Assert.Equal(transient, PostgrestClient.IsTransient((HttpStatusCode)status));

    [Theory]
    [InlineData(400, "23514", FeatureSinkFailureKind.RecordRejected)] // check constraint
    [InlineData(400, "22P02", FeatureSinkFailureKind.RecordRejected)] // invalid input for a column
    [InlineData(409, "23505", FeatureSinkFailureKind.RecordRejected)] // another unique constraint
    [InlineData(400, "P0001", FeatureSinkFailureKind.RecordRejected)] // a trigger's RAISE
    [InlineData(400, "PGRST204", FeatureSinkFailureKind.Permanent)] // column missing from the schema cache
    [InlineData(401, "PGRST301", FeatureSinkFailureKind.Permanent)] // key rejected
    [InlineData(403, "42501", FeatureSinkFailureKind.Permanent)] // row level security
    [InlineData(404, "PGRST205", FeatureSinkFailureKind.Permanent)] // no such table
    [InlineData(501, null, FeatureSinkFailureKind.Permanent)]
    public void A_refusal_blocks_the_sink_unless_PostgreSQL_refused_the_record_itself(int status, string? code, FeatureSinkFailureKind kind)
        => Assert.Equal(kind, PostgrestClient.KindOf((HttpStatusCode)status, code));
}
