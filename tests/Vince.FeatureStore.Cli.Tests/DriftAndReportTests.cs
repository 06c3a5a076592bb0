using System.Text.Json;
using System.Text.RegularExpressions;
using Vince.FeatureStore.Cli.Tests.Support;
using Xunit.Abstractions;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// <c>drift</c> and <c>report</c> on a model set of the real .NET trainer: the drift command's exit code and table on
/// live records shifted on purpose and on records from the same market; the HTML report opened in a real headless
/// chromium (rendered DOM and a screenshot whose pixels are looked at).
/// </summary>
public sealed partial class DriftAndReportTests(DriftModelSet set, ITestOutputHelper output) : IClassFixture<DriftModelSet>
{
    [Fact]
    public async Task Drift_on_records_with_one_market_column_shifted_exits_1_and_names_that_column()
    {
        CliResult text = (await Tool.RunAsync("drift", "--models", set.Models, "--data", set.Shifted)).Expect(1);
        Assert.Matches(@"market_volumeRatio +\d+\.\d{3} +\+\d\.\d\d .* drifted", text.Stdout);
        Assert.Contains("Feature drift over the last 500 record(s)", text.Stdout, StringComparison.Ordinal);

        CliResult json = (await Tool.RunAsync("drift", "--models", set.Models, "--data", set.Shifted, "--json")).Expect(1);
        using JsonDocument document = JsonDocument.Parse(json.Stdout);
        JsonElement root = document.RootElement;
        Assert.True(root.GetProperty("drift").GetBoolean());
        string[] drifted = root.GetProperty("driftedColumns").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal("market_volumeRatio", drifted[0]); // worst first: the column itself before its lags
        Assert.All(drifted, c => Assert.StartsWith("market_volumeRatio", c, StringComparison.Ordinal));
        JsonElement volume = root.GetProperty("columns").EnumerateArray().First(c => c.GetProperty("name").GetString() == "market_volumeRatio");
        Assert.Equal(5, volume.GetProperty("meanShiftStdDevs").GetDouble(), 0);
        Assert.True(volume.GetProperty("psi").GetDouble() > 2);
        double others = root.GetProperty("columns").EnumerateArray()
            .Where(c => !c.GetProperty("name").GetString()!.StartsWith("market_volumeRatio", StringComparison.Ordinal))
            .Max(c => c.GetProperty("psi").GetDouble());
        Assert.True(others < 0.2, $"largest PSI of the other columns: {others}");
        output.WriteLine($"shifted: PSI market_volumeRatio {volume.GetProperty("psi").GetDouble():0.000}, largest other {others:0.000}");
    }

    [Fact]
    public async Task Drift_on_records_from_the_same_market_exits_0()
    {
        CliResult result = (await Tool.RunAsync("drift", "--models", set.Models, "--data", set.Unshifted, "--json")).Expect(0);
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        Assert.False(document.RootElement.GetProperty("drift").GetBoolean());
        Assert.Equal(500, document.RootElement.GetProperty("recentRecords").GetInt32());
        double worst = document.RootElement.GetProperty("columns").EnumerateArray().Max(c => c.GetProperty("psi").GetDouble());
        Assert.True(worst < 0.2, $"largest PSI on unshifted records: {worst}");
        output.WriteLine($"unshifted: largest PSI {worst:0.000}");
    }

    [Fact]
    public async Task The_window_and_threshold_options_are_applied_and_checked()
    {
        // A short window is noisy (its verdict is not the point here): only the newest 120 records are compared.
        CliResult recent = await Tool.RunAsync("drift", "--models", set.Models, "--data", set.Unshifted, "--json", "--recent", "120");
        Assert.Equal(120, JsonDocument.Parse(recent.Stdout).RootElement.GetProperty("recentRecords").GetInt32());
        CliResult few = await Tool.RunAsync("drift", "--models", set.Models, "--data", set.Shifted, "--json", "--recent", "20");
        Assert.Equal(0, few.ExitCode); // below 30 records there is no verdict, even for the shifted column
        Assert.Contains("Too few recent records for a drift verdict (20", few.Stderr, StringComparison.Ordinal);

        // Every PSI passes a tiny threshold: the same records now count as drifted.
        (await Tool.RunAsync("drift", "--models", set.Models, "--data", set.Unshifted, "--threshold", "0.0001")).Expect(1);

        CliResult future = (await Tool.RunAsync("drift", "--models", set.Models, "--data", set.Unshifted, "--since", "2100-01-01T00:00Z")).Expect(1);
        Assert.Contains("no recent record", future.Stderr, StringComparison.Ordinal);
        CliResult both = (await Tool.RunAsync("drift", "--models", set.Models, "--recent", "5", "--since", "24h")).Expect(2);
        Assert.Contains("--recent and --since exclude each other", both.Stderr, StringComparison.Ordinal);
        (await Tool.RunAsync("drift", "--models", set.Models, "--since", "yesterday")).Expect(2);
        CliResult noBins = (await Tool.RunAsync("drift", "--models", set.Unshifted, "--data", set.Unshifted)).Expect(1);
        Assert.Contains("has no feature_bins.json", noBins.Stderr, StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task The_report_renders_in_headless_chromium_with_a_chart_in_every_section_and_a_screenshot_that_is_not_blank()
    {
        string html = Path.Combine(set.Root, "report.html");
        CliResult result = (await Tool.RunAsync("report", "--models", set.Models, "--data", set.Shifted, "--out", html)).Expect(0);
        Assert.Contains("4 model(s); 500 recent record(s)", result.Stdout, StringComparison.Ordinal);
        string page = await File.ReadAllTextAsync(html);
        output.WriteLine($"report: {new FileInfo(html).Length} bytes");
        Assert.DoesNotMatch(@"<script|<link|<img|@import|url\(|src=", page); // self-contained: nothing to fetch

        string dom = await HeadlessChromium.DumpDomAsync(html);
        string[] sections = SectionPattern().Matches(dom).Select(m => m.Value).ToArray();
        Assert.Equal(5, sections.Length); // four models and the TP levels
        foreach (string section in sections)
        {
            Assert.Contains("<svg", section, StringComparison.Ordinal);
        }

        string quality = sections.Single(s => s.Contains("id=\"model-signal_quality\"", StringComparison.Ordinal));
        Assert.Contains("AUC 0.", quality, StringComparison.Ordinal);
        Assert.Contains("after Platt", quality, StringComparison.Ordinal);
        Assert.Matches("class=\"alarm\">market_volumeRatio PSI [0-9.]+ · drifted", quality);

        string png = Path.Combine(set.Root, "report.png");
        await HeadlessChromium.ScreenshotAsync(html, png, 1280, 1500);
        PngImage image = PngImage.Load(png);
        Assert.Equal((1280, 1500), (image.Width, image.Height));
        Assert.True(image.LuminanceVariance() > 200, $"the screenshot looks blank (variance {image.LuminanceVariance():0.0})");
        Assert.True(image.CountColour(0x2f, 0x6f, 0xb0) > 500, "the charts' blue is on the screenshot");
        Assert.True(image.CountColour(0xe0, 0x7b, 0x22) > 100, "the recent records' orange is on the screenshot");

        // Kept for the README (docs/images/model-report.png is copied from here).
        string kept = Path.Combine(RepositoryPaths.Root(), "artifacts", "screenshots", "model-report.png");
        Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
        File.Copy(png, kept, overwrite: true);
    }

    [Fact]
    public async Task The_report_of_a_python_trained_set_says_what_it_cannot_draw_instead_of_inventing_it()
    {
        using var dir = new TempDirectory();
        string models = dir.File("python-set");
        Directory.CreateDirectory(models);
        MetadataJson.For(SignalQualityRecords.FeatureNames).Save(Path.Combine(models, "training_metadata.json"));
        string html = dir.File("report.html");

        CliResult result = (await Tool.RunAsync("report", "--models", models, "--data", set.Unshifted, "--out", html)).Expect(0);

        Assert.Contains("no model_report.json: ROC and calibration not drawn; no feature_bins.json: distributions not drawn", result.Stdout, StringComparison.Ordinal);
        string page = await File.ReadAllTextAsync(html);
        Assert.Contains("No model_report.json in the model set", page, StringComparison.Ordinal);
        Assert.Contains("No feature_bins.json in the model set", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<polyline", page, StringComparison.Ordinal); // no curve without stored predictions
        Assert.Contains("signal_quality feature importance", page, StringComparison.Ordinal); // what the metadata has is shown
    }

    [GeneratedRegex("<section[^>]*>.*?</section>", RegexOptions.Singleline)]
    private static partial Regex SectionPattern();
}
