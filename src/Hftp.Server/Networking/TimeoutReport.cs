using System.Net;
using Hftp.Server.Limits;
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
    private readonly WarningThrottle _ownLines;
    private readonly ITimer _summary;
    private int _idle;
    private int _request;
    private int _summaryArmed;

    public TimeoutReport(ILogger logger, TimeSpan interval, TimeProvider time)
    {
        _logger = logger;
        _interval = interval;
        _ownLines = new WarningThrottle(interval, time);
        _summary = time.CreateTimer(_ => Summarize(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void IdleTimedOut(IPEndPoint? client, TimeSpan timeout)
    {
        if (_ownLines.TakeLine())
        {
            _logger.Warning("{Remote} sent no request for {Seconds:0.###} s (idle timeout), closing", client, timeout.TotalSeconds);
            return;
        }

        Count(ref _idle);
    }

    public void RequestTimedOut(IPEndPoint? client, TimeSpan timeout)
    {
        if (_ownLines.TakeLine())
        {
            _logger.Warning("{Remote} did not finish a request line within {Seconds:0.###} s of its first byte (request timeout), closing",
                client, timeout.TotalSeconds);
            return;
        }

        Count(ref _request);
    }

    /// <summary>Logs what is still only counted.</summary>
    public void Dispose()
    {
        _summary.Dispose();
        Summarize();
    }

    private void Count(ref int timeouts)
    {
        Interlocked.Increment(ref timeouts);
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
            _logger.Warning("Closed {Count} more connections within {Seconds:0.###} s: {IdleTimeouts} by the idle timeout, {RequestTimeouts} by the request timeout",
                idle + request, _interval.TotalSeconds, idle, request);
        }
    }
}
