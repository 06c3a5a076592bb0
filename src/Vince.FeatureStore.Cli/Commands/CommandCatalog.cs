using Vince.FeatureStore.Cli.CommandLine;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>Every command of the tool, in the order the help lists them.</summary>
internal static class CommandCatalog
{
    public static IReadOnlyList<CommandSpec> All { get; } =
    [
        StatsCommand.Spec,
        ExportCommand.Spec,
        SyncSupabaseCommand.Spec,
        BootstrapSqlCommand.Spec,
        ScoreCommand.Spec,
        ParityCommand.Spec,
        ModelsCommand.List,
        ModelsCommand.Pull,
        ModelsCommand.Push,
        TrainCommand.Spec,
        DriftCommand.Spec,
        ReportCommand.Spec,
        DeadLetterCommand.List,
        DeadLetterCommand.Retry,
    ];
}
