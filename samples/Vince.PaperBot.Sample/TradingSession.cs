using Vince.FeatureStore;

namespace Vince.PaperBot.Sample;

/// <summary>The bot's trading sessions, all in UTC: crypto trades around the clock, liquidity follows the equity markets.</summary>
internal static class TradingSession
{
    public static SessionFeatures Describe(DateTimeOffset now)
    {
        DateTime utc = now.UtcDateTime;
        bool weekend = utc.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        (string name, TimeSpan start) = weekend
            ? ("weekend", utc.DayOfWeek == DayOfWeek.Saturday ? TimeSpan.Zero : TimeSpan.FromDays(-1))
            : utc.Hour switch
            {
                < 7 => ("asia", TimeSpan.Zero),
                < 13 => ("europe", TimeSpan.FromHours(7)),
                < 16 => ("eu_us_overlap", TimeSpan.FromHours(13)),
                < 21 => ("us", TimeSpan.FromHours(16)),
                _ => ("off_hours", TimeSpan.FromHours(21)),
            };

        return new SessionFeatures
        {
            Session = name,
            UtcHour = utc.Hour,
            DayOfWeek = (int)utc.DayOfWeek,
            IsWeekend = weekend,
            IsOpenWindow = IsOpenWindow(utc),
            MinutesSinceSessionStart = (utc.TimeOfDay - start).TotalMinutes,
        };
    }

    /// <summary>The first 90 minutes after the European and the US cash opens, when the bot boosts signals.</summary>
    public static bool IsOpenWindow(DateTime utc)
    {
        if (utc.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            return false;
        }

        double minutes = utc.TimeOfDay.TotalMinutes;
        return minutes is >= 7 * 60 and < (7 * 60) + 90
            or >= (13 * 60) + 30 and < (13 * 60) + 30 + 90;
    }
}
