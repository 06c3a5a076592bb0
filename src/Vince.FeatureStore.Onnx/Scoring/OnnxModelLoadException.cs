namespace Vince.FeatureStore.Onnx;

/// <summary>
/// A signal-quality model or its metadata cannot be loaded: not an ONNX file, an input width that differs from
/// the feature list, no probability output, files of two different trainings. The message names the file.
/// </summary>
public sealed class OnnxModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxModelLoadException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file.</param>
    public OnnxModelLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file.</param>
    /// <param name="innerException">The underlying error.</param>
    public OnnxModelLoadException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a file.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="message">What is wrong, naming the file.</param>
    /// <param name="innerException">The underlying error.</param>
    public OnnxModelLoadException(string filePath, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file at fault, when known.</summary>
    public string? FilePath { get; }

    /// <summary>
    /// The files do not form a complete pair yet (a training is still writing them): a hot reload waits for the
    /// next change instead of reporting an error.
    /// </summary>
    internal bool FilesIncomplete { get; init; }
}
