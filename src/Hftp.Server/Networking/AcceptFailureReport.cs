using Hftp.Server.Limits;
using Serilog;

namespace Hftp.Server.Networking;

/// <summary>Failures to accept (out of file descriptors or threads) flood in, one per retry: logged as a warning when
/// they start, a summary per interval while they last, and a line when accepting resumes. Accept thread only.</summary>
internal sealed class AcceptFailureReport(ILogger logger, TimeSpan interval, TimeProvider time)
{
    private WarningThrottle _throttle = new(interval, time);
    private long _firstFailure;
    private long _lastReport;
    private int _total;

    public void Failed(string error)
    {
        var now = time.GetTimestamp();
        _total++;
        if (!_throttle.Record(out var count))
        {
            return;
        }

        if (_total == 1)
        {
            _firstFailure = now;
            logger.Warning(
                "Cannot accept new connections: {Error}; retrying, further failures summarized every {Interval} s",
                error, interval.TotalSeconds);
        }
        else
        {
            logger.Warning("Accepting failed {Count} more times in {Seconds:0} s: {Error}",
                count, time.GetElapsedTime(_lastReport, now).TotalSeconds, error);
        }

        _lastReport = now;
    }

    /// <summary>A connection was taken: ends a run of failures, if there was one. Cheap when there was none.</summary>
    public void Succeeded()
    {
        if (_total == 0)
        {
            return;
        }

        logger.Information("Accepting connections again after {Count} failures in {Seconds:0.0} s",
            _total, time.GetElapsedTime(_firstFailure).TotalSeconds);
        _total = 0;
        _throttle = new WarningThrottle(interval, time);
    }
}
