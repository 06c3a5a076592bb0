using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;

namespace Vince.FeatureStore.Onnx.Tests.Training.Support;

/// <summary>
/// A fake trainer executable: a bash script written by the test that parses the real command line of the Python
/// script (<c>--data D --output O --min-samples N</c>), records each call, prints to stdout and stderr, and then does
/// what the test asks (copy a prepared model set, exit with a code, hang...).
/// </summary>
public sealed class FakeTrainerScript
{
    public FakeTrainerScript(string directory, string behaviour)
    {
        Directory.CreateDirectory(directory);
        ScriptPath = Path.Combine(directory, $"train_{Guid.NewGuid():N}.sh");
        CallsFile = ScriptPath + ".calls";
        PidFile = ScriptPath + ".pid";
        ChildPidFile = ScriptPath + ".child";
        File.WriteAllText(ScriptPath, $$"""
            #!/usr/bin/env bash
            set -euo pipefail
            data=""; out=""; min=""
            while [ $# -gt 0 ]; do
              case "$1" in
                --data) data="$2"; shift 2 ;;
                --output) out="$2"; shift 2 ;;
                --min-samples) min="$2"; shift 2 ;;
                *) echo "unknown argument $1" >&2; exit 2 ;;
              esac
            done
            child_file='{{ChildPidFile}}'
            echo "$data|$out|$min" >> '{{CallsFile}}'
            # What the trainer was given to read, kept after the run deletes it: the log lines and the snapshot manifest.
            call=$(wc -l < '{{CallsFile}}')
            cat "$data"/*.jsonl > '{{ScriptPath}}'.data-$call 2>/dev/null || true
            cp "$data/snapshot.json" '{{ScriptPath}}'.snapshot-$call 2>/dev/null || true
            echo $$ > '{{PidFile}}'
            echo "Loading features from $data"
            echo "xgboost: training with min samples $min" >&2
            {{behaviour}}
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(ScriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string ScriptPath { get; }

    public string CallsFile { get; }

    public string PidFile { get; }

    public string ChildPidFile { get; }

    /// <summary>Copies a prepared set into the output directory.</summary>
    public static string CopySet(string setDirectory) => $"cp -R '{setDirectory}/.' \"$out/\"\necho \"Exported: $(ls \"$out\" | tr '\\n' ' ')\"";

    /// <summary>Prints a traceback to stderr and exits with <paramref name="code"/>.</summary>
    public static string Fail(int code) => $"echo 'Traceback (most recent call last):' >&2\necho 'ValueError: Input contains NaN' >&2\nexit {code}";

    /// <summary>Starts a child that would outlive it (its pid in <see cref="ChildPidFile"/>), then waits forever.</summary>
    public const string Hang = "sleep 300 &\necho $! > \"$child_file\"\necho 'still training'\nwait";

    /// <summary>Every recorded call: (data, output, min samples).</summary>
    public IReadOnlyList<(string Data, string Output, string MinSamples)> Calls()
        => File.Exists(CallsFile)
            ? File.ReadAllLines(CallsFile).Select(l => l.Split('|')).Select(p => (p[0], p[1], p[2])).ToList()
            : [];

    /// <summary>The JSONL lines the trainer's <c>--data</c> directory held on call <paramref name="call"/> (1-based).</summary>
    public IReadOnlyList<string> DataLines(int call)
        => File.Exists($"{ScriptPath}.data-{call}") ? File.ReadAllLines($"{ScriptPath}.data-{call}") : [];

    /// <summary>The <c>snapshot.json</c> the trainer's <c>--data</c> directory held on call <paramref name="call"/>, or <see langword="null"/>.</summary>
    public string? SnapshotManifest(int call)
        => File.Exists($"{ScriptPath}.snapshot-{call}") ? File.ReadAllText($"{ScriptPath}.snapshot-{call}") : null;

    public ExternalProcessTrainerOptions Options(TimeSpan? timeout = null)
    {
        var options = new ExternalProcessTrainerOptions { Command = "bash", ScriptPath = ScriptPath };
        if (timeout is { } t)
        {
            options.Timeout = t;
        }

        return options;
    }

    /// <summary>Whether the process with the pid in <paramref name="pidFile"/> is gone (or only a zombie awaiting its reaper).</summary>
    public static bool IsDead(string pidFile)
    {
        string stat = $"/proc/{File.ReadAllText(pidFile).Trim()}/stat";
        if (!File.Exists(stat))
        {
            return true;
        }

        try
        {
            string content = File.ReadAllText(stat);
            return content[(content.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
