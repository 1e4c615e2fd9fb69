namespace Hftp.Server.Limits;

/// <summary>Lets one recurring condition be logged at most once per interval, counting the occurrences between lines: a server
/// under a flood writes one line, not one per client. Lock-free and allocation-free, so every connection thread
/// may use one at once (<see cref="Networking.TimeoutReport"/>).</summary>
internal sealed class WarningThrottle(TimeSpan interval, TimeProvider time)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private long _lastLine = long.MinValue;
    private int _occurrences;

    /// <summary>True for the first call of an interval: it gets a line.</summary>
    public bool TakeLine()
    {
        var now = time.GetTimestamp();
        var last = Volatile.Read(ref _lastLine);
        return (last == long.MinValue || now - last >= _intervalTicks) && Interlocked.CompareExchange(ref _lastLine, now, last) == last;
    }

    /// <summary>Records one occurrence; true when a line is due, with the occurrences it should report (itself included).</summary>
    public bool Record(out int occurrences)
    {
        Interlocked.Increment(ref _occurrences);
        occurrences = TakeLine() ? Interlocked.Exchange(ref _occurrences, 0) : 0;
        return occurrences > 0;
    }
}
