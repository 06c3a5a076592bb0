using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Diagnostics;
using Vince.FeatureStore.Onnx.Scoring;

namespace Vince.FeatureStore.Onnx;

/// <summary>
/// Scores feature records with the signal-quality model of the training pipeline: P(profitable) and whether it
/// passes the threshold. The input vector is built by the library's flattener in the order of
/// <c>signal_quality_feature_names</c>, exactly as the training rows were; models exported by the Python script
/// are repaired at load; the probability is read from the right output whatever the export layout; Platt
/// calibration is applied when the metadata has one.
/// </summary>
/// <remarks>
/// <para>Thread-safe. <see cref="Score"/> allocates nothing once warmed up: each concurrent call uses its own
/// pooled input/output buffers bound to the session.</para>
/// <para>The model, its metadata and the compiled columns are swapped as one object when the files change (a new
/// training) or on <see cref="ReloadAsync"/>: a call never mixes two trainings, and calls in flight finish on the
/// model they started with, which is disposed after the last of them.</para>
/// <para>Without a model file, <see cref="Score"/> returns <see cref="SignalQualityScore.NoModel"/> and logs nothing.</para>
/// </remarks>
public sealed class OnnxSignalQualityScorer : IDisposable, IAsyncDisposable
{
    private readonly OnnxScoringOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private readonly string _modelPath;
    private ScoringModel? _current;
    private readonly object _watchLock = new();
    private FileSystemWatcher? _watcher;
    private FileSystemWatcher? _parentWatcher;
    private ITimer? _debounce;
    private long _lastVersion;
    private bool _reportedNoModel;
    private volatile Exception? _lastReloadError;
    private volatile bool _disposed;

    /// <summary>
    /// Creates the scorer and loads the model now, when its file exists; then, when
    /// <see cref="OnnxScoringOptions.WatchForChanges"/> is on, reloads it whenever a training rewrites the files.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <param name="loggerFactory">Logging (optional).</param>
    /// <param name="timeProvider">Clock for the reload debounce (optional).</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="OnnxModelLoadException">A model file exists but cannot be used (the message names the file and the problem).</exception>
    public OnnxSignalQualityScorer(OnnxScoringOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid ONNX scoring options: " + string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _logger = loggerFactory?.CreateLogger<OnnxSignalQualityScorer>() ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        ModelsDirectory = Path.GetFullPath(options.ResolveModelsDirectory());
        _modelPath = Path.Combine(ModelsDirectory, options.ModelFileName);

        Load();
        if (options.WatchForChanges)
        {
            Watch();
        }
    }

    /// <summary>The directory the model files are read from (absolute).</summary>
    public string ModelsDirectory { get; }

    /// <summary>The model in use, or <see langword="null"/> when there is none.</summary>
    public OnnxModelInfo? Model => Volatile.Read(ref _current)?.Info;

    /// <summary>The error of the last failed reload (the previous model stayed in use), cleared by a successful one.</summary>
    public Exception? LastReloadError => _lastReloadError;

    /// <summary>
    /// Scores <paramref name="record"/>: P(profitable) from the current model, or <see cref="SignalQualityScore.NoModel"/>
    /// when there is none. Does not allocate once warmed up.
    /// </summary>
    /// <param name="record">The decision to score (outcome and labels are not read by the model's columns).</param>
    /// <param name="history">The earlier records of each asset, for lag columns (add <paramref name="record"/> to it afterwards);
    /// without it lag columns are 0. Not thread-safe: one per scoring loop.</param>
    /// <returns>The score.</returns>
    /// <exception cref="ObjectDisposedException">The scorer is disposed.</exception>
    public SignalQualityScore Score(FeatureRecord record, FeatureHistory? history = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ScoringModel? model;
        while (true)
        {
            model = Volatile.Read(ref _current);
            if (model is null)
            {
                return SignalQualityScore.NoModel;
            }

            if (model.TryAcquire())
            {
                break;
            }

            // Swapped out and released between the read and the acquire: the next read sees its successor.
        }

        try
        {
            return model.ScoreSignalQuality(record, history);
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>
    /// Builds the input <see cref="Score"/> would feed the current model for <paramref name="record"/> (same columns,
    /// order, flattening and scaling) without running it: for diagnostics and training/serving parity checks.
    /// Allocates; not for the scoring hot path.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="history">The earlier records of each asset, as for <see cref="Score"/>; without it lag columns are 0.</param>
    /// <returns>The input, or <see langword="null"/> when no model is loaded.</returns>
    /// <exception cref="ObjectDisposedException">The scorer is disposed.</exception>
    public ScoringInput? BuildInput(FeatureRecord record, FeatureHistory? history = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            ScoringModel? model = Volatile.Read(ref _current);
            if (model is null)
            {
                return null;
            }

            if (model.TryAcquire())
            {
                try
                {
                    return model.BuildInput(record, history);
                }
                finally
                {
                    model.Release();
                }
            }
        }
    }

    /// <summary>
    /// Reads the model files again now and swaps the new pair in (calls in flight finish on the old model). Without
    /// a model file the scorer switches to "no model". Files whose content did not change keep the current model.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for a reload already in progress.</param>
    /// <returns>The model in use afterwards, or <see langword="null"/>.</returns>
    /// <exception cref="OnnxModelLoadException">The files cannot be used; the previous model stays in use.</exception>
    public async Task<OnnxModelInfo?> ReloadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _reloadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                await Task.Run(ReloadUnderLock, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OnnxModelLoadException or IOException or UnauthorizedAccessException)
            {
                _lastReloadError = ex;
                throw;
            }

            return Model;
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _disposing.Cancel();
        lock (_watchLock)
        {
            _parentWatcher?.Dispose();
            _watcher?.Dispose();
        }

        _debounce?.Dispose();

        // Wait for a reload in progress, so that it cannot install a model after this point.
        _reloadLock.Wait();
        try
        {
            Interlocked.Exchange(ref _current, null)?.Release();
        }
        finally
        {
            _reloadLock.Release();
        }

        _disposing.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Load()
    {
        _reloadLock.Wait();
        try
        {
            ReloadUnderLock();
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    /// <summary>Reads the files and installs what they hold. The caller holds <see cref="_reloadLock"/>.</summary>
    private void ReloadUnderLock()
    {
        if (_disposed)
        {
            return;
        }

        ScoringModel? current = Volatile.Read(ref _current);
        ModelFiles? files = ModelFiles.Read(ModelsDirectory, _options);
        if (files is null)
        {
            _lastReloadError = null;
            if (current is not null)
            {
                Install(null);
                OnnxScoringLog.ModelUnloaded(_logger, _modelPath, current.Info.Version);
            }
            else if (!_reportedNoModel)
            {
                // Once, not on every change of the other files while there is still no model.
                OnnxScoringLog.NoModel(_logger, _modelPath);
            }

            _reportedNoModel = true;
            return;
        }

        if (current is not null && current.Files.SameContentAs(files))
        {
            OnnxScoringLog.ReloadUnchanged(_logger, ModelsDirectory, current.Info.Version);
            _lastReloadError = null;
            return;
        }

        ScoringModel model = ScoringModelLoader.Build(files, _options, _lastVersion + 1, _timeProvider.GetUtcNow(), _logger);
        _lastVersion++;
        Install(model);
        _reportedNoModel = false;
        _lastReloadError = null;
        OnnxModelInfo info = model.Info;
        OnnxScoringLog.ModelLoaded(_logger, info.Version, info.ModelPath, info.FeatureNames.Count, info.FeatureNamesSource, info.OutputName, info.OutputColumn,
            info.Threshold, info.ThresholdSource, info.Calibration is { } c ? $"scale {c.Scale}, intercept {c.Intercept}" : "none", info.ScaledColumnCount);
    }

    private void Install(ScoringModel? model) => Interlocked.Exchange(ref _current, model)?.Release();

    private void Watch()
    {
        try
        {
            PrivateDirectory.Create(ModelsDirectory);
            _debounce = _timeProvider.CreateTimer(_ => _ = ReloadFromWatcherAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _watcher = WatchModelsDirectory();

            // An atomic install replaces the whole directory by a rename, and a watcher keeps following the old one:
            // watch the parent for the directory's name and re-arm when it is replaced.
            string directory = Path.TrimEndingDirectorySeparator(ModelsDirectory);
            if (Path.GetDirectoryName(directory) is { } parent && Path.GetFileName(directory) is { Length: > 0 } name)
            {
                var parentWatcher = new FileSystemWatcher(parent, name) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.DirectoryName };
                parentWatcher.Created += OnDirectoryReplaced;
                parentWatcher.Deleted += OnDirectoryReplaced;
                parentWatcher.Renamed += OnDirectoryReplaced;
                parentWatcher.EnableRaisingEvents = true;
                _parentWatcher = parentWatcher;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            OnnxScoringLog.WatchFailed(_logger, ex, ModelsDirectory);
        }
    }

    private FileSystemWatcher WatchModelsDirectory()
    {
        var watcher = new FileSystemWatcher(ModelsDirectory)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += OnFileEvent;
        watcher.Created += OnFileEvent;
        watcher.Deleted += OnFileEvent;
        watcher.Renamed += OnFileEvent;
        watcher.Error += OnWatcherError;
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void OnDirectoryReplaced(object sender, FileSystemEventArgs e)
    {
        lock (_watchLock)
        {
            if (_disposed)
            {
                return;
            }

            _watcher?.Dispose();
            _watcher = null;
            try
            {
                if (Directory.Exists(ModelsDirectory))
                {
                    _watcher = WatchModelsDirectory();
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                OnnxScoringLog.WatchFailed(_logger, ex, ModelsDirectory);
            }
        }

        OnnxScoringLog.DirectoryReplaced(_logger, ModelsDirectory);
        ScheduleReload();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (IsModelFile(e.Name) || (e is RenamedEventArgs renamed && IsModelFile(renamed.OldName)))
        {
            ScheduleReload();
        }
    }

    private void OnWatcherError(object sender, ErrorEventArgs e)
    {
        // Events may have been lost (e.g. the inotify queue overflowed): check the files anyway.
        OnnxScoringLog.WatcherError(_logger, ModelsDirectory, e.GetException().Message);
        ScheduleReload();
    }

    private bool IsModelFile(string? name) => name is not null
        && (string.Equals(name, _options.ModelFileName, StringComparison.Ordinal)
            || string.Equals(name, _options.MetadataFileName, StringComparison.Ordinal)
            || string.Equals(name, ModelFiles.FeaturesFileName(_options.ModelFileName), StringComparison.Ordinal));

    private void ScheduleReload()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            // Every event restarts the wait: the reload runs once the files have been quiet for the debounce.
            _debounce?.Change(_options.ReloadDebounce, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ReloadFromWatcherAsync()
    {
        try
        {
            await _reloadLock.WaitAsync(_disposing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        try
        {
            ReloadUnderLock();
        }
        catch (OnnxModelLoadException ex) when (ex.FilesIncomplete)
        {
            OnnxScoringLog.PairIncomplete(_logger, ex.Message);
        }
        catch (Exception ex)
        {
            // Any failure of a background reload is reported; the current model stays in use.
            _lastReloadError = ex;
            OnnxScoringLog.ReloadFailed(_logger, ex, ModelsDirectory, Model is { } info ? $"model v{info.Version} ({info.ModelSha256[..12]})" : "no model");
        }
        finally
        {
            _reloadLock.Release();
        }
    }
}
