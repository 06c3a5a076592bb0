using Microsoft.Extensions.Logging;

namespace Vince.PaperBot.Sample;

/// <summary>Source-generated log messages: no formatting or boxing when the level is off, which it is by default.</summary>
internal static partial class SampleLog
{
    [LoggerMessage(1, LogLevel.Information, "Paper trading {Trades} trades on {Assets} ({Mode}), seed {Seed}, log in {Directory}")]
    public static partial void Starting(ILogger logger, int trades, string assets, string mode, int seed, string directory);

    [LoggerMessage(2, LogLevel.Debug, "Opened {Direction} {Asset} {Id} at {Entry}")]
    public static partial void Opened(ILogger logger, string direction, string asset, string id, double? entry);

    [LoggerMessage(3, LogLevel.Debug, "Closed {Asset} {Id}: {Reason}, pnl {Pnl} USD")]
    public static partial void Closed(ILogger logger, string asset, string id, string? reason, double pnl);
}
