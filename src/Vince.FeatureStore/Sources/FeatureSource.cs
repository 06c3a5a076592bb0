using System.Globalization;

namespace Vince.FeatureStore;

/// <summary>
/// A store records can be read back from, named by its kind: what the train-when-ready service counts and trains from,
/// and what the serving history warm-starts from when the local log is empty. <c>.AddPostgres(...)</c> and
/// <c>.AddSupabase(...)</c> register one each; the local log is always available.
/// </summary>
public sealed class FeatureSource
{
    /// <summary>Creates a source.</summary>
    /// <param name="kind">The kind of store (not <see cref="FeatureSourceKind.Auto"/>).</param>
    /// <param name="query">Reads the store.</param>
    /// <param name="description">Where the records come from, for logs and messages (e.g. <c>public.vince_paper_bot_features at https://…</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is <see cref="FeatureSourceKind.Auto"/> or not defined, or <paramref name="description"/> is empty.</exception>
    public FeatureSource(FeatureSourceKind kind, IFeatureQuery query, string description)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        if (kind == FeatureSourceKind.Auto || !Enum.IsDefined(kind))
        {
            throw new ArgumentException($"A source has a concrete kind (Jsonl, Postgres or Supabase), not {kind}.", nameof(kind));
        }

        Kind = kind;
        Query = query;
        Description = description;
    }

    /// <summary>The kind of store.</summary>
    public FeatureSourceKind Kind { get; }

    /// <summary>Reads the store.</summary>
    public IFeatureQuery Query { get; }

    /// <summary>Where the records come from.</summary>
    public string Description { get; }

    /// <summary>The kind's name as files and the command line write it: <c>jsonl</c>, <c>postgres</c> or <c>supabase</c>.</summary>
    public string KindName => NameOf(Kind);

    /// <summary>The local JSONL log in <paramref name="dataDirectory"/>: the store's own files (<c>features_*.jsonl</c>).</summary>
    /// <param name="dataDirectory">The feature data directory.</param>
    /// <returns>The source.</returns>
    public static FeatureSource Jsonl(string dataDirectory)
        => Jsonl(new FeatureLogReader(dataDirectory, new FeatureLogReaderOptions { RealOnly = true }));

    /// <summary>The JSONL files <paramref name="reader"/> reads.</summary>
    /// <param name="reader">The log reader.</param>
    /// <returns>The source.</returns>
    public static FeatureSource Jsonl(FeatureLogReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new FeatureSource(FeatureSourceKind.Jsonl, reader, $"the JSONL log in {Path.GetFullPath(reader.DataDirectory)}");
    }

    /// <summary>The kind's name: <c>jsonl</c>, <c>postgres</c> or <c>supabase</c> (<c>auto</c> for <see cref="FeatureSourceKind.Auto"/>).</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The lower-case name.</returns>
    public static string NameOf(FeatureSourceKind kind) => kind switch
    {
        FeatureSourceKind.Auto => "auto",
        FeatureSourceKind.Jsonl => "jsonl",
        FeatureSourceKind.Postgres => "postgres",
        FeatureSourceKind.Supabase => "supabase",
        _ => ((int)kind).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The source <paramref name="wanted"/> names among <paramref name="registered"/>: <see cref="FeatureSourceKind.Auto"/> takes
    /// Supabase, then Postgres, then the local log; a named kind must be registered (the local log always is).
    /// </summary>
    /// <exception cref="InvalidOperationException">The named kind is not registered.</exception>
    internal static FeatureSource Select(IEnumerable<FeatureSource> registered, FeatureSourceKind wanted, Func<FeatureSource> localLog)
    {
        List<FeatureSource> sources = [.. registered];
        if (wanted == FeatureSourceKind.Jsonl)
        {
            return sources.FirstOrDefault(s => s.Kind == FeatureSourceKind.Jsonl) ?? localLog();
        }

        if (wanted == FeatureSourceKind.Auto)
        {
            return SelectRemote(sources) ?? sources.FirstOrDefault(s => s.Kind == FeatureSourceKind.Jsonl) ?? localLog();
        }

        return sources.FirstOrDefault(s => s.Kind == wanted)
            ?? throw new InvalidOperationException(
                $"The training source is {wanted}, but no {wanted} store is registered: add it with .Add{wanted}(...) (and its settings), or set the source to Auto or Jsonl.");
    }

    /// <summary>The most shared remote source registered (Supabase, then Postgres), or <see langword="null"/>.</summary>
    internal static FeatureSource? SelectRemote(IEnumerable<FeatureSource> registered)
    {
        FeatureSource? postgres = null;
        foreach (FeatureSource source in registered)
        {
            if (source.Kind == FeatureSourceKind.Supabase)
            {
                return source;
            }

            postgres ??= source.Kind == FeatureSourceKind.Postgres ? source : null;
        }

        return postgres;
    }
}
