namespace Vince.FeatureStore.Reliability.Tests.Support;

/// <summary>
/// A deterministic stream of record versions like a busy bot's: decisions, and for every fourth one a later complete
/// version under the same id (so "latest version" matters), in a few assets with unicode and SQL metacharacters.
/// </summary>
internal static class TradeStream
{
    private static readonly string[] Assets = ["BTC", "ETH", "SOL", "HYPE", "O'Brien;--", "Ünïcødé-€"];

    /// <summary>Versions number <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive) of the stream named <paramref name="prefix"/>.</summary>
    public static IEnumerable<FeatureRecord> Versions(string prefix, int from, int to)
    {
        // Every 5th version completes the decision recorded 3 versions earlier.
        for (int n = from; n < to; n++)
        {
            if (n % 5 == 4)
            {
                int decision = n - 3;
                yield return TestRecords.Complete(Id(prefix, decision), TestRecords.BaseTime + decision, Asset(decision), pnl: (decision % 7) - 3);
            }
            else
            {
                yield return TestRecords.Decision(Id(prefix, n), TestRecords.BaseTime + n, Asset(n));
            }
        }
    }

    public static string Id(string prefix, int n) => $"{prefix}-{n:D6}";

    private static string Asset(int n) => Assets[n % Assets.Length];
}
