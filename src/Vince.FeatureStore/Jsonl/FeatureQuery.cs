namespace Vince.FeatureStore;

/// <summary>Which records a read returns. All conditions must hold; an unset condition matches everything.</summary>
public sealed record FeatureQuery
{
    /// <summary>Every record (latest version of each id).</summary>
    public static FeatureQuery All { get; } = new();

    /// <summary>Only complete records (with outcome and labels): the training rows.</summary>
    public static FeatureQuery Complete { get; } = new() { CompleteOnly = true };

    /// <summary>Only records whose latest version has both an outcome and labels.</summary>
    public bool CompleteOnly { get; init; }

    /// <summary>Only this asset (ordinal, case-sensitive, as written).</summary>
    public string? Asset { get; init; }

    /// <summary>Only records with a decision time at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only records with a decision time before this instant.</summary>
    public DateTimeOffset? To { get; init; }

    internal bool Matches(long timestamp, string asset, bool complete)
    {
        if (CompleteOnly && !complete)
        {
            return false;
        }

        if (Asset is not null && !string.Equals(Asset, asset, StringComparison.Ordinal))
        {
            return false;
        }

        if (From is { } from && timestamp < from.ToUnixTimeMilliseconds())
        {
            return false;
        }

        return To is not { } to || timestamp < to.ToUnixTimeMilliseconds();
    }
}
