using Vince.FeatureStore;
using Vince.FeatureStore.Tests.Support;

namespace Vince.FeatureStore.Tests.Sample;

/// <summary>The README's main job, run as a user runs it: a child process writing real files.</summary>
public sealed class SampleTests
{
    [Fact]
    public async Task The_sample_writes_at_least_the_requested_complete_trades_and_prints_a_summary()
    {
        using var dir = new TempDirectory();

        (int exitCode, string stdout, string stderr) = await SampleProcess.RunAsync(["--trades", "200", "--data-dir", dir.Path]);

        Assert.True(exitCode == 0, $"exit {exitCode}: {stderr}");
        var reader = new FeatureLogReader(dir.Path);
        int complete = await reader.CountCompleteAsync();
        Assert.InRange(complete, 200, 210);
        Assert.Equal(0, reader.SkippedLines);
        await foreach (FeatureRecord record in reader.ReadRecordsAsync(FeatureQuery.Complete))
        {
            Assert.Equal(FeatureLabels.Derive(record.Execution, record.Outcome), record.Labels);
        }

        Assert.Contains($"Recording to the JSONL log in {dir.Path}; shipping to no sink", stderr, StringComparison.Ordinal);
        Assert.Contains("complete trades  200", stdout, StringComparison.Ordinal);
        Assert.Contains("win rate", stdout, StringComparison.Ordinal);
        Assert.Contains(dir.Path, stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_arguments_exit_with_2_and_say_why()
    {
        (int exitCode, _, string stderr) = await SampleProcess.RunAsync(["--trades", "many"]);

        Assert.Equal(2, exitCode);
        Assert.Contains("--trades", stderr, StringComparison.Ordinal);
    }
}
