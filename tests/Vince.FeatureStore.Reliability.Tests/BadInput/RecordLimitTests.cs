namespace Vince.FeatureStore.Reliability.Tests.BadInput;

/// <summary>
/// Recording refuses what no sink could store (it would fail its sinks forever): ids and assets longer than 256
/// characters, timestamps after year 9999. Exactly at the limits is fine.
/// </summary>
public sealed class RecordLimitTests
{
    [Theory]
    [InlineData(257, 3, TestRecords.BaseTime)]
    [InlineData(10, 257, TestRecords.BaseTime)]
    [InlineData(10, 3, 253_402_300_800_000)]
    public async Task Recording_refuses_a_record_beyond_the_limits_and_accepts_one_at_them(int idLength, int assetLength, long timestamp)
    {
        using var dir = new TempDirectory();
        await using FeatureStore store = await TestStores.StartedAsync(dir.Path);
        FeatureRecord beyond = TestRecords.Decision(new string('i', idLength), timestamp, new string('A', assetLength));

        ArgumentException error = Assert.Throws<ArgumentException>(() => store.Record(beyond));
        Assert.Matches("256 characters|year 9999", error.Message);

        store.Record(TestRecords.Decision(new string('i', 256), 253_402_300_799_999, new string('€', 256)));
        await store.FlushAsync();
        Assert.Single(dir.AllFeatureLines());
    }
}
