namespace Vince.FeatureStore.Flattening;

/// <summary>
/// How <see cref="CompiledColumns.Fill"/> reads a row, worked out once per column list. Every column's number goes to a
/// slot (slot <c>i</c> for column <c>i</c>; the lags of a rolling column that are no column of the list get extra slots).
/// The scalar properties of one section of one record (the row, or an earlier record of its asset) are read in one call,
/// the other columns through their rule's delegate, and each rolling column is then the mean of its lag slots: a lag is
/// read once however many columns use it, and no column costs a delegate call of its own unless it needs one.
/// </summary>
internal sealed class FillPlan
{
    private readonly SectionRead[] _sectionReads;
    private readonly DelegateRead[] _delegateReads;
    private readonly RollingRead[] _rollingReads;

    public FillPlan(IReadOnlyList<ColumnRule> rules)
    {
        ColumnCount = rules.Count;
        var slotOf = new Dictionary<(string Base, int Lag), int>();
        var reads = new List<(int Slot, ColumnRule Rule, int Lag)>();
        var rolling = new List<(int Slot, ColumnRule Rule)>();
        for (int i = 0; i < rules.Count; i++)
        {
            ColumnRule rule = rules[i];
            if (rule.Read is null)
            {
                reads.Add((i, default, 0)); // unknown: always missing
            }
            else if (rule.IsRollingMean)
            {
                rolling.Add((i, rule));
            }
            else
            {
                slotOf.TryAdd((rule.Base, rule.Lag), i);
                reads.Add((i, rule, rule.Lag));
            }
        }

        int slots = rules.Count;
        var rollingReads = new List<RollingRead>();
        foreach ((int slot, ColumnRule rule) in rolling)
        {
            int[] lagSlots = new int[FeatureHistory.Depth];
            for (int lag = 1; lag <= FeatureHistory.Depth; lag++)
            {
                if (!slotOf.TryGetValue((rule.Base, lag), out int lagSlot))
                {
                    slotOf[(rule.Base, lag)] = lagSlot = slots++;
                    reads.Add((lagSlot, rule, lag));
                }

                lagSlots[lag - 1] = lagSlot;
            }

            rollingReads.Add(new RollingRead(slot, lagSlots));
        }

        SlotCount = slots;
        _rollingReads = [.. rollingReads];
        _sectionReads =
        [
            .. reads
                .Where(r => r.Rule.Section != SectionId.None)
                .GroupBy(r => (r.Lag, r.Rule.Section))
                .Select(g => new SectionRead(g.Key.Lag, g.Key.Section, [.. g.Select(r => r.Rule.Key)], [.. g.Select(r => r.Slot)])),
        ];
        _delegateReads = [.. reads.Where(r => r.Rule.Section == SectionId.None).Select(r => new DelegateRead(r.Slot, r.Rule.Read, r.Lag))];
    }

    /// <summary>The columns, the first <see cref="ColumnCount"/> slots.</summary>
    public int ColumnCount { get; }

    /// <summary>Slots <see cref="Run"/> writes: the columns and the extra lag slots of rolling columns.</summary>
    public int SlotCount { get; }

    /// <summary>
    /// Writes every slot: the number of its column as <see cref="FeatureValue.NumberOrNaN"/> (NaN: missing or text; a
    /// rolling column NaN when none of its lags has a number).
    /// </summary>
    /// <param name="record">The row.</param>
    /// <param name="earlier">The asset's earlier records (lag 1 first).</param>
    /// <param name="numbers">At least <see cref="SlotCount"/> elements.</param>
    public void Run(FeatureRecord record, in EarlierRecords earlier, Span<double> numbers)
    {
        foreach (SectionRead read in _sectionReads)
        {
            FeatureSchema.ReadKnown(read.Lag == 0 ? record : earlier[read.Lag - 1], read.Section, read.Keys, read.Slots, numbers);
        }

        foreach (DelegateRead read in _delegateReads)
        {
            FeatureRecord? from = read.Lag == 0 ? record : earlier[read.Lag - 1];
            numbers[read.Slot] = from is null || read.Read is null ? double.NaN : read.Read(from, numericOnly: true).NumberOrNaN;
        }

        foreach (RollingRead read in _rollingReads)
        {
            double sum = 0;
            int count = 0;
            foreach (int slot in read.LagSlots)
            {
                if (!double.IsNaN(numbers[slot]))
                {
                    sum += numbers[slot];
                    count++;
                }
            }

            numbers[read.Slot] = MeanOf(sum, count);
        }
    }

    /// <summary>The rolling mean of <paramref name="count"/> lag numbers that sum to <paramref name="sum"/>: NaN when none has a number (pandas' mean skips NaN).</summary>
    public static double MeanOf(double sum, int count) => count == 0 ? double.NaN : sum / count;

    /// <summary>The scalar columns <see cref="Keys"/> of one section of the row (<see cref="Lag"/> 0) or of an earlier record.</summary>
    private sealed record SectionRead(int Lag, SectionId Section, int[] Keys, int[] Slots);

    /// <summary>A column read through its rule's delegate; <see cref="Read"/> is null for an unknown name.</summary>
    private sealed record DelegateRead(int Slot, ColumnAccessor? Read, int Lag);

    /// <summary>A rolling column and the slots of its lags 1..<see cref="FeatureHistory.Depth"/>.</summary>
    private sealed record RollingRead(int Slot, int[] LagSlots);
}
