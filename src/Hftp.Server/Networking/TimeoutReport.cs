using System.Net;
using Serilog;

namespace Hftp.Server.Networking;

/// <summary>
/// Idle and request timeouts come in floods when a slowloris is shed (ten thousand connections in a few seconds):
/// each would build its log event on its own thread, and every thread's first allocation takes a fresh allocation
/// context, so the flood alone set off several collections, each one stopping all those threads. The first timeout
/// of an interval is warned on its own line naming the client; the others of the interval are only counted (no
/// allocation) and summarized in one line when the interval ends. Used by every connection thread at once, lock-free.
/// </summary>
internal sealed class TimeoutReport : IDisposable
{
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly long _intervalTicks;
    private readonly ITimer _summary;
    private readonly TimeProvider _time;
    private long _lastWarning = long.MinValue;
    private int _idle;
    private int _request;
    private int _summaryArmed;

    public TimeoutReport(ILogger logger, TimeSpan interval, TimeProvider time)
    {
        _time = time;
        _logger = logger;
        _interval = interval;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
        _summary = time.CreateTimer(_ => Summarize(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void IdleTimedOut(IPEndPoint? client, TimeSpan timeout)
    {
        if (TakeOwnLine())
        {
            ServerLog.IdleTimedOut(_logger, client, timeout);
            return;
        }

        Interlocked.Increment(ref _idle);
        ArmSummary();
    }

    public void RequestTimedOut(IPEndPoint? client, TimeSpan timeout)
    {
        if (TakeOwnLine())
        {
            ServerLog.RequestTimedOut(_logger, client, timeout);
            return;
        }

        Interlocked.Increment(ref _request);
        ArmSummary();
    }

    /// <summary>Logs what is still only counted.</summary>
    public void Dispose()
    {
        _summary.Dispose();
        Summarize();
    }

    // True for the first timeout of an interval: it gets its own line.
    private bool TakeOwnLine()
    {
        var now = _time.GetTimestamp();
        var last = Volatile.Read(ref _lastWarning);
        return (last == long.MinValue || now - last >= _intervalTicks) && Interlocked.CompareExchange(ref _lastWarning, now, last) == last;
    }

    private void ArmSummary()
    {
        if (Interlocked.Exchange(ref _summaryArmed, 1) == 0)
        {
            try
            {
                _summary.Change(_interval, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // A connection that outlived the server's stop: the count is left unsaid.
            }
        }
    }

    private void Summarize()
    {
        Volatile.Write(ref _summaryArmed, 0);
        var idle = Interlocked.Exchange(ref _idle, 0);
        var request = Interlocked.Exchange(ref _request, 0);
        if (idle + request > 0)
        {
            ServerLog.TimeoutsSummarized(_logger, idle, request, _interval);
        }
    }
}
