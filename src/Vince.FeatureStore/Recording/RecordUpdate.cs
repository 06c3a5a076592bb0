namespace Vince.FeatureStore.Recording;

/// <summary>An execution or outcome for the record <paramref name="Id"/>, applied to its latest version by the log writer.</summary>
/// <param name="Id">The record the update belongs to.</param>
/// <param name="Execution">How the trade was opened, or <see langword="null"/>.</param>
/// <param name="Outcome">How the trade closed, or <see langword="null"/>.</param>
internal sealed record RecordUpdate(string Id, ExecutionFeatures? Execution, OutcomeFeatures? Outcome)
{
    /// <summary>The next version of <paramref name="current"/>: with the execution, and with the outcome and the labels it implies.</summary>
    public FeatureRecord ApplyTo(FeatureRecord current)
    {
        FeatureRecord next = Execution is null ? current : current with { Execution = Execution };
        return Outcome is null
            ? next
            : next with { Outcome = Outcome, Labels = FeatureLabels.Derive(next.Execution, Outcome) };
    }
}
