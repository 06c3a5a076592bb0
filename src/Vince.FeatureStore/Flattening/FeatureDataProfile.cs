namespace Vince.FeatureStore.Flattening;

/// <summary>
/// What a data set holds, gathered in one streaming pass: which columns are present in any record and
/// which assets each model's training rows cover. Decides a model's columns the way the script does:
/// base columns, optional columns only when present, asset dummies only for more than one asset.
/// </summary>
public sealed class FeatureDataProfile
{
    private readonly HashSet<string> _present = new(StringComparer.Ordinal);
    private readonly Dictionary<TrainingModel, SortedSet<string>> _assets = new();
    private readonly Dictionary<TrainingModel, int> _rows = new();
    private readonly List<KeyValuePair<string, FeatureValue>> _scratch = new(96);
    private readonly List<string> _columnOrder = [];

    /// <summary>Number of records observed.</summary>
    public int RecordCount { get; private set; }

    /// <summary>Observes one record (every record, not only training rows: presence is decided on all data).</summary>
    /// <param name="record">The record.</param>
    public void Observe(FeatureRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        RecordCount++;
        _scratch.Clear();
        FeatureSchema.AddPresent(record, _scratch);
        foreach (KeyValuePair<string, FeatureValue> column in _scratch)
        {
            if (_present.Add(column.Key))
            {
                _columnOrder.Add(column.Key);
            }
        }

        foreach (TrainingModel model in TrainingModels.All)
        {
            if (TrainingModels.LabelOf(model, record) is not null)
            {
                AddRow(model, record.Asset ?? "");
            }
        }
    }

    /// <summary>
    /// A profile from the log's version scan: column presence over every line, rows and assets from the latest
    /// version of each id. Equivalent to observing every record (a test holds them to the same result).
    /// </summary>
    internal static FeatureDataProfile FromScan(ColumnPresence presence, IReadOnlyList<(string Asset, byte Rows)> latest)
    {
        var profile = new FeatureDataProfile();
        foreach ((string asset, byte rows) in latest)
        {
            profile.ObserveScanned(asset, rows);
        }

        profile.AddPresent(presence);
        return profile;
    }

    /// <summary>Observes one record from its header scan: its asset and training-row bits (bit = (int)model).</summary>
    internal void ObserveScanned(string asset, byte rows)
    {
        RecordCount++;
        foreach (TrainingModel model in TrainingModels.All)
        {
            if ((rows & (1 << (int)model)) != 0)
            {
                AddRow(model, asset);
            }
        }
    }

    /// <summary>Adds the columns a scan saw, in their order of first appearance, after those already present.</summary>
    internal void AddPresent(ColumnPresence presence)
    {
        foreach (string column in presence.Columns)
        {
            if (_present.Add(column))
            {
                _columnOrder.Add(column);
            }
        }
    }

    private void AddRow(TrainingModel model, string asset)
    {
        _rows[model] = _rows.GetValueOrDefault(model) + 1;
        if (!_assets.TryGetValue(model, out SortedSet<string>? assets))
        {
            _assets[model] = assets = new SortedSet<string>(StringComparer.Ordinal);
        }

        assets.Add(asset);
    }

    /// <summary>True when some observed record has the column.</summary>
    /// <param name="column">A column name.</param>
    /// <returns>Whether it is present.</returns>
    public bool IsPresent(string column) => _present.Contains(column);

    /// <summary>Every column present in the data, in order of first appearance.</summary>
    public IReadOnlyList<string> PresentColumns => _columnOrder;

    /// <summary>Number of training rows of <paramref name="model"/> (records whose label is not null).</summary>
    /// <param name="model">The model.</param>
    /// <returns>The row count.</returns>
    public int RowCount(TrainingModel model) => _rows.GetValueOrDefault(model);

    /// <summary>The assets of the model's training rows, sorted.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The tickers.</returns>
    public IReadOnlyCollection<string> Assets(TrainingModel model) => _assets.TryGetValue(model, out SortedSet<string>? assets) ? assets : [];

    /// <summary>
    /// The model's input columns in the script's order: base columns; optional columns present in the
    /// data; the regime encodings of the model (when their source column is present); asset dummies when
    /// the model's rows cover more than one asset; lag and rolling-mean columns of the present market columns.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <returns>The ordered column names.</returns>
    public IReadOnlyList<string> ModelColumns(TrainingModel model)
    {
        var columns = new List<string>();
        void Add(string column)
        {
            if (!columns.Contains(column))
            {
                columns.Add(column);
            }
        }

        foreach (string column in TrainingModels.BaseColumns(model))
        {
            Add(column);
        }

        foreach (string column in TrainingModels.OptionalColumns)
        {
            if (IsPresentOrDerivable(column))
            {
                Add(column);
            }
        }

        foreach (string column in TrainingModels.RegimeColumns(model))
        {
            if (IsPresentOrDerivable(column))
            {
                Add(column);
            }
        }

        if (Assets(model).Count > 1)
        {
            foreach (string asset in Assets(model))
            {
                Add("asset_" + asset);
            }
        }

        foreach (string column in FeatureSchema.LaggedColumns)
        {
            if (IsPresent(column))
            {
                Add(column + "_lag1");
                Add(column + "_lag2");
                Add(column + "_lag3");
                Add(column + "_roll3");
            }
        }

        return columns;
    }

    private bool IsPresentOrDerivable(string column)
    {
        foreach ((string derived, string source) in FeatureSchema.DerivedColumns)
        {
            if (derived == column)
            {
                return IsPresent(source);
            }
        }

        return IsPresent(column);
    }
}
