using System.Globalization;
using System.Text;

namespace Vince.FeatureStore.ModelSets;

/// <summary>
/// <c>last_train_at.txt</c> in the models directory (FORMATS §7): the time of the last successful training as Unix epoch
/// milliseconds, the state that keeps a restarted host from training again within 24 hours.
/// </summary>
internal static class LastTrainAt
{
    /// <summary>The file name, <c>last_train_at.txt</c>.</summary>
    public const string FileName = "last_train_at.txt";

    /// <summary>Reads the time of the last successful training.</summary>
    /// <param name="modelsDirectory">The models directory.</param>
    /// <returns>The time, or <see langword="null"/> when the file does not exist (never trained).</returns>
    /// <exception cref="FormatException">The file does not hold epoch milliseconds (the message names the file).</exception>
    public static DateTimeOffset? Read(string modelsDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        string path = Path.Combine(modelsDirectory, FileName);
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8).Trim();
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        // The bot writes Date.now() (an integer); a fractional value is accepted and truncated.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double milliseconds)
            && double.IsFinite(milliseconds) && milliseconds >= 0 && milliseconds <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return DateTimeOffset.FromUnixTimeMilliseconds((long)milliseconds);
        }

        throw new FormatException($"{path} does not hold a time in Unix epoch milliseconds (it holds '{(text.Length > 40 ? text[..40] + "…" : text)}').");
    }

    /// <summary>Writes <paramref name="time"/> as epoch milliseconds (replacing the file atomically).</summary>
    /// <param name="directory">The models directory, or a staging directory about to be installed.</param>
    /// <param name="time">The time of the training.</param>
    public static void Write(string directory, DateTimeOffset time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string path = Path.Combine(directory, FileName);
        string temp = path + ".tmp";
        File.WriteAllText(temp, time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        File.Move(temp, path, overwrite: true);
    }
}
