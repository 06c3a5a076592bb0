using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>
/// Where <c>drift</c> and <c>report</c> read the recent records from: the one place that turns the command line into
/// records (today <c>--data</c>, the bot's own <c>features_*.jsonl</c>), so another source slots in here alone.
/// </summary>
internal static class RecordSource
{
    /// <summary>The records named on the command line, in decision-time order (latest version of each id).</summary>
    /// <param name="context">The command's context.</param>
    /// <param name="options">The parsed options (<c>--data</c>).</param>
    /// <param name="required">When false, a data directory that was not named and does not exist gives <see langword="null"/> instead of an error.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The records and a description of where they came from, or <see langword="null"/>.</returns>
    /// <exception cref="CommandFailedException">A named data directory does not exist.</exception>
    public static (IAsyncEnumerable<FeatureRecord> Records, string Description)? Open(CliContext context, ParsedOptions options, bool required, CancellationToken cancellationToken)
    {
        string? named = options.Value(CommonOptions.Data.Name);
        string directory = context.DataDirectory(named);
        if (!Directory.Exists(directory) && !required && named is null)
        {
            return null;
        }

        CliContext.EnsureDataDirectoryExists(directory);
        var reader = new FeatureLogReader(directory, new FeatureLogReaderOptions { RealOnly = true }, context.LoggerFactory.CreateLogger<FeatureLogReader>());
        return (reader.ReadRecordsAsync(cancellationToken: cancellationToken), $"the JSONL log in {directory}");
    }
}
