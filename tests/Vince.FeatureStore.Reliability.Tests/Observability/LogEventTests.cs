using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Reliability.Tests.Observability;

/// <summary>
/// Structured log events: every log call of the packages goes through a <c>LoggerMessage</c> method with an event id,
/// ids are unique within a package and inside the package's own range, and the ranges do not overlap.
/// </summary>
public sealed partial class LogEventTests
{
    public static TheoryData<string, int> Packages => new()
    {
        { typeof(FeatureStore).Assembly.GetName().Name!, 1000 },
        { typeof(PostgresFeatureSink).Assembly.GetName().Name!, 2000 },
        { typeof(OnnxSignalQualityScorer).Assembly.GetName().Name!, 3000 },
        { typeof(SupabaseFeatureSink).Assembly.GetName().Name!, 4000 },
    };

    [Theory]
    [MemberData(nameof(Packages))]
    public void Each_package_logs_through_LoggerMessage_methods_with_unique_ids_in_its_own_range(string assemblyName, int rangeStart)
    {
        List<(string Method, int Id, string Message)> events = LoggerMessages(Assembly.Load(assemblyName));

        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.InRange(e.Id, rangeStart, rangeStart + 99));
        var duplicates = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Method))}").ToList();
        Assert.True(duplicates.Count == 0, "Event ids used twice: " + string.Join("; ", duplicates));
        Assert.All(events, e => Assert.False(string.IsNullOrWhiteSpace(e.Message), $"{e.Method} has no message template"));
    }

    [Fact]
    public void No_source_file_logs_without_LoggerMessage_and_every_package_has_unique_ids_in_its_own_range()
    {
        string src = Path.Combine(RepositoryPaths.Root(), "src");
        var problems = new List<string>();
        var rangeOwners = new Dictionary<int, string>();
        foreach (string package in Directory.GetDirectories(src))
        {
            var ids = new Dictionary<int, string>();
            foreach (string file in Directory.EnumerateFiles(package, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            {
                string code = File.ReadAllText(file);
                string relative = Path.GetRelativePath(src, file);
                foreach (Match call in DirectLogCall().Matches(code))
                {
                    problems.Add($"{relative}: calls {call.Value.Trim()} instead of a LoggerMessage method");
                }

                foreach (Match attribute in LoggerMessageAttribute().Matches(code))
                {
                    Match id = EventId().Match(attribute.Value);
                    if (!id.Success)
                    {
                        problems.Add($"{relative}: a [LoggerMessage] without an EventId");
                        continue;
                    }

                    int value = int.Parse(id.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (!ids.TryAdd(value, relative))
                    {
                        problems.Add($"{relative}: event id {value} is also used in {ids[value]}");
                    }
                }
            }

            // Each package keeps to its own blocks of 100 ids.
            foreach (int block in ids.Keys.Select(id => id / 100).Distinct())
            {
                string name = Path.GetFileName(package);
                if (!rangeOwners.TryAdd(block, name))
                {
                    problems.Add($"{name} uses event ids {block * 100}–{(block * 100) + 99}, the range of {rangeOwners[block]}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_package_ranges_do_not_overlap()
    {
        var ranges = Packages.Select(row => (int)row[1]).ToList();
        Assert.Equal(ranges.Count, ranges.Select(r => r / 100).Distinct().Count());
    }

    private static List<(string Method, int Id, string Message)> LoggerMessages(Assembly assembly)
        => assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .Select(x => ($"{x.Method.DeclaringType!.Name}.{x.Method.Name}", x.Attribute!.EventId, x.Attribute.Message))
            .ToList();

    // ILogger extension methods (LoggerExtensions) and ILogger.Log called directly with a level.
    [GeneratedRegex(@"\.Log(Trace|Debug|Information|Warning|Error|Critical)\s*\(|\.Log\s*\(\s*LogLevel\.|\.Log\s*<")]
    private static partial Regex DirectLogCall();

    [GeneratedRegex(@"\[LoggerMessage\([^\]]*\)\]", RegexOptions.Singleline)]
    private static partial Regex LoggerMessageAttribute();

    [GeneratedRegex(@"EventId\s*=\s*(\d+)")]
    private static partial Regex EventId();
}
