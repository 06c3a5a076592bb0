namespace Vince.PaperBot.Sample;

/// <summary>
/// Progress on stderr, so stdout keeps only the summary. On a terminal a counter rewritten in place;
/// redirected, a line every 10 % and only for long runs, so logs stay quiet.
/// </summary>
internal sealed class ProgressReporter(int total, TextWriter output, bool interactive) : IProgress<int>
{
    private const int LongRun = 1000;
    private int _lastShown = -1;

    public void Report(int value)
    {
        int percent = (int)(100L * value / total);
        if (interactive)
        {
            if (percent != _lastShown)
            {
                _lastShown = percent;
                output.Write($"\rpaper trading: {value}/{total} trades ({percent}%)");
                output.Flush();
            }
        }
        else if (total >= LongRun && percent / 10 != _lastShown / 10 && percent % 10 == 0 && percent > 0)
        {
            _lastShown = percent;
            output.WriteLine($"paper trading: {value}/{total} trades ({percent}%)");
        }
    }

    /// <summary>Clears the in-place counter so the next output starts on a clean line.</summary>
    public void Finish()
    {
        if (interactive && _lastShown >= 0)
        {
            output.Write("\r" + new string(' ', 60) + "\r");
            output.Flush();
        }
    }
}
