namespace Vince.FeatureStore;

/// <summary>
/// The store cannot run as configured: for example its data directory is owned by another running process.
/// </summary>
public sealed class FeatureStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FeatureStoreException()
        : base("The feature store cannot run as configured.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FeatureStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FeatureStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
