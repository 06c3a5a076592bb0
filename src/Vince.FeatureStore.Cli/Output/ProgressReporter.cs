using System.Globalization;

namespace Vince.FeatureStore.Cli;

/// <summary>
/// Progress of long work on stderr (never stdout): a line at every tenth of the total, or every
/// <see cref="UnknownTotalStep"/> items when the total is unknown. Silent with <c>--quiet</c>.
/// </summary>
internal sealed class ProgressReporter(CliContext context, string label)
{
    /// <summary>Items between lines when the total is not known.</summary>
    public const int UnknownTotalStep = 10_000;

    private long _nextReport = 1;
    private int _lastTenth;

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> (0 or less: unknown) with an optional detail.</summary>
    public void Report(long done, long total, string unit, string? detail = null)
    {
        if (context.Quiet)
        {
            return;
        }

        if (total > 0)
        {
            int tenth = (int)Math.Min(10, done * 10 / total);
            if (tenth <= _lastTenth)
            {
                return;
            }

            _lastTenth = tenth;
            context.WriteError(string.Create(CultureInfo.InvariantCulture, $"{label}: {tenth * 10}% ({done:N0}/{total:N0} {unit}{(detail is null ? "" : ", " + detail)})"));
            return;
        }

        if (done >= _nextReport)
        {
            _nextReport = (done / UnknownTotalStep + 1) * UnknownTotalStep;
            context.WriteError(string.Create(CultureInfo.InvariantCulture, $"{label}: {done:N0} {unit}{(detail is null ? "" : ", " + detail)}"));
        }
    }
}
