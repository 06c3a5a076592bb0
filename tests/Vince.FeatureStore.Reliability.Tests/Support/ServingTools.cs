using System.Diagnostics;
using System.Text.Json;
using Vince.FeatureStore.Onnx.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.Support;

/// <summary>The serving tests' model set (real trees run by ONNX Runtime, lag columns included) and the built tool's <c>parity --served</c>.</summary>
internal static class ServingTools
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>Writes the signal-quality set into <paramref name="directory"/> once; returns the directory.</summary>
    public static string Models(string directory, double threshold = 0.5)
    {
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory);
            OnnxModels.Save(OnnxModels.XgboostClassifier(SignalQualityRecords.Trees, SignalQualityRecords.FeatureNames.Length), Path.Combine(directory, "signal_quality.onnx"));
            MetadataJson.For(SignalQualityRecords.FeatureNames, threshold, calibration: (1.3, -0.2)).Save(Path.Combine(directory, "training_metadata.json"));
        }

        return directory;
    }

    /// <summary>Runs the built tool as a process and returns its JSON report; asserts a pass with 0 differences unless another exit is expected.</summary>
    public static async Task<JsonElement> ParityServedAsync(string data, string models, int expectedExit = 0)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { RepositoryPaths.BuiltDll("src/Vince.FeatureStore.Cli", "Vince.FeatureStore.Cli"), "parity", "--served", "--data", data, "--models", models, "--json" })
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Timeout);
        Assert.True(process.ExitCode == expectedExit, $"parity --served exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        JsonElement report = JsonDocument.Parse(await stdout).RootElement.Clone();
        if (expectedExit == 0)
        {
            Assert.True(report.GetProperty("passed").GetBoolean());
            Assert.Equal(0, report.GetProperty("differenceCount").GetInt64());
            Assert.Equal(0, report.GetProperty("notAvailableScores").GetInt32());
        }

        return report;
    }
}
