using System.Net;
using Hftp.Server.Limits;
using Serilog;

namespace Hftp.Server.Networking;

/// <summary>Idle and request timeouts flood in when a slowloris is shed (10,000 connections in a few seconds). Each was
/// logged on its own thread, whose first allocation takes a fresh allocation context, so the flood alone set off
/// several collections, each stopping all those threads. Now an interval's first timeout is warned on its own line
/// naming the client; the rest are only counted (no allocation) and summed up in one line per interval, on the
/// heartbeat. Lock-free: every connection thread uses it.</summary>
internal sealed class TimeoutReport(ILogger logger, TimeSpan interval, TimeProvider time)
{
    private readonly WarningThrottle _ownLines = new(interval, time);
    private readonly WarningThrottle _summaries = new(interval, time);
    private int _idle;
    private int _request;

    public void IdleTimedOut(IPEndPoint? client, TimeSpan timeout)
    {
        if (_ownLines.TakeLine())
        {
            logger.Warning("{Remote} sent no request for {Seconds:0.###} s (idle timeout), closing", client, timeout.TotalSeconds);
            return;
        }

        Interlocked.Increment(ref _idle);
    }

    public void RequestTimedOut(IPEndPoint? client, TimeSpan timeout)
    {
        if (_ownLines.TakeLine())
        {
            logger.Warning("{Remote} did not finish a request line within {Seconds:0.###} s of its first byte (request timeout), closing",
                client, timeout.TotalSeconds);
            return;
        }

        Interlocked.Increment(ref _request);
    }

    /// <summary>Logs what was only counted: on the heartbeat at most once per interval, or at once when <paramref name="final"/>.</summary>
    public void Summarize(bool final = false)
    {
        if (Volatile.Read(ref _idle) + Volatile.Read(ref _request) == 0 || !(final || _summaries.TakeLine()))
        {
            return;
        }

        var idle = Interlocked.Exchange(ref _idle, 0);
        var request = Interlocked.Exchange(ref _request, 0);
        if (idle + request > 0)
        {
            logger.Warning("Closed {Count} more connections within {Seconds:0.###} s: {IdleTimeouts} by the idle timeout, {RequestTimeouts} by the request timeout",
                idle + request, interval.TotalSeconds, idle, request);
        }
    }
}
