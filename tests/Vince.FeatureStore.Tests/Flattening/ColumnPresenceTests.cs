using Vince.FeatureStore;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Tests.Flattening;

/// <summary>
/// The export decides columns during the log's version scan (raw JSON) instead of from typed records; both
/// must give the same profile, or training columns would depend on which export path ran. The one difference: a key
/// present only with null values is a column in the scan (as in the script) but not in typed records, which cannot
/// tell a null key from a missing one.
/// </summary>
public sealed class ColumnPresenceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(7)]
    [InlineData(11)]
    public async Task The_scan_profile_equals_the_typed_profile_on_generated_data(int seed)
    {
        TrainingServingParityTests.GenerateDataSet(_dir.Path, records: 400, seed: seed);
        await AssertSameProfilesAsync(_dir.Path);
    }

    [Fact]
    public async Task The_scan_profile_equals_the_typed_profile_on_the_golden_records()
        => await AssertSameProfilesAsync(Path.Combine(AppContext.BaseDirectory, "TestData", "golden"));

    [Fact]
    public async Task Every_shape_the_rules_distinguish_is_scanned_like_the_typed_record()
    {
        File.WriteAllLines(_dir.File("features_2026-01-22_1.jsonl"),
        [
            """{"id":"a","timestamp":1,"asset":"X","signal":{"sources":[{"name":"n","sentiment":2}],"factors":["f"],"avgSentiment":null},"market":{"price":null,"extra":"text","nested":{"a":1},"list":[1]}}""",
            """{"id":"b","timestamp":2,"asset":"Y","news":[{"sentiment":1}],"outcome":{"profitable":true,"maxAdverseExcursion":1.5}}""",
            """{"id":"c","timestamp":3,"asset":"Y","labels":{"profitable":false,"rMultiple":null,"maxAdverseExcursion":"n/a","benchScore":2},"wtt":{"edge":1}}""",
            """{"id":"d","timestamp":4,"asset":"Z","labels":{"maxAdverseExcursion":null},"outcome":{"maxAdverseExcursion":3},"execution":{"takeProfitPrices":[1],"leverage":3},"regime":{"oiCapRisk":{"level":2}}}""",
            """{"id":"e","timestamp":5,"asset":"Z","session":{"utcHour":4},"signal":{"sources":["s"],"avgSentiment":5,"x\u00e9":1}}""",
        ]);

        await AssertSameProfilesAsync(_dir.Path, nullOnly: ["market_price"]);
    }

    private static async Task AssertSameProfilesAsync(string directory, string[]? nullOnly = null)
    {
        var reader = new FeatureLogReader(directory);
        var typed = new FeatureDataProfile();
        await foreach (FeatureRecord record in reader.ReadRecordsAsync())
        {
            typed.Observe(record);
        }

        var presence = new ColumnPresence();
        FeatureLogReader.LogIndex index = await reader.BuildIndexAsync(FeatureQuery.All, CancellationToken.None, presence);
        FeatureDataProfile scanned = FeatureDataProfile.FromScan(presence, index.Entries.ConvertAll(e => (e.Asset, e.Rows)));

        Assert.Equal(typed.PresentColumns.Concat(nullOnly ?? []).Order(StringComparer.Ordinal), scanned.PresentColumns.Order(StringComparer.Ordinal));
        Assert.Equal(typed.RecordCount, scanned.RecordCount);
        foreach (TrainingModel model in TrainingModels.All)
        {
            Assert.Equal(typed.ModelColumns(model), scanned.ModelColumns(model));
            Assert.Equal(typed.RowCount(model), scanned.RowCount(model));
            Assert.Equal(typed.Assets(model), scanned.Assets(model));
        }
    }
}
