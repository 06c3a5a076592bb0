using System.Text.RegularExpressions;
using Vince.FeatureStore;

namespace Vince.FeatureStore.Tests.Records;

public sealed class FeatureRecordIdTests
{
    [Fact]
    public void Ids_have_the_existing_shape_and_carry_the_time()
    {
        string id = FeatureRecordId.New(1769100000000);
        Assert.Matches(new Regex("^1769100000000-[0-9a-z]{9}$"), id);
        Assert.True(FeatureRecordId.HasGeneratedShape(id));
        Assert.Equal("5-", FeatureRecordId.New(DateTimeOffset.FromUnixTimeMilliseconds(5))[..2]);
    }

    [Fact]
    public void Ids_do_not_repeat_within_one_millisecond()
    {
        var ids = new HashSet<string>();
        for (int i = 0; i < 20_000; i++)
        {
            Assert.True(ids.Add(FeatureRecordId.New(1769100000000)));
        }
    }

    [Theory]
    [InlineData("1769100000000-k3j9x0a2b", true)]
    [InlineData("1769100000000-K3J9X0A2B", false)]
    [InlineData("1769100000000-k3j9x0a2", false)]
    [InlineData("-k3j9x0a2b", false)]
    [InlineData("abc-k3j9x0a2b", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Shape_check(string? id, bool expected) => Assert.Equal(expected, FeatureRecordId.HasGeneratedShape(id));
}
