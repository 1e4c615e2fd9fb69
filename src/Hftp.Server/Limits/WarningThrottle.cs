
namespace Hftp.Server.Limits;

/// <summary>
/// Counts occurrences of one recurring condition and lets it be logged at most once per interval, with how
/// many times it happened since the last line: a server under a flood writes one line, not one per client.
/// </summary>
internal sealed class WarningThrottle(TimeSpan interval, TimeProvider time)
{
    private readonly Lock _lock = new();
    private long _lastLogged;
    private bool _loggedOnce;
    private int _occurrences;

    /// <summary>Records one occurrence; true when a line is due, with the occurrences it should report.</summary>
    public bool Record(out int occurrences)
    {
        lock (_lock)
        {
            _occurrences++;
            var now = time.GetTimestamp();
            if (_loggedOnce && time.GetElapsedTime(_lastLogged, now) < interval)
            {
                occurrences = 0;
                return false;
            }

            occurrences = _occurrences;
            _occurrences = 0;
            _lastLogged = now;
            _loggedOnce = true;
            return true;
        }
    }
}
