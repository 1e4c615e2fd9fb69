using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Sinks.Async;

namespace Hftp.Server;

/// <summary>
/// A logger whose sink is written on a background thread from a bounded queue. When the queue is full new events
/// are dropped, never waited for; the drops are counted and reported in one line as soon as there is room again.
/// Disposing it flushes for a bounded time only.
/// </summary>
public sealed class BoundedLog : IAsyncLogEventSinkMonitor, IDisposable
{
    private readonly Thread _reporter;
    private readonly ManualResetEventSlim _stopReporting = new();
    private readonly TimeSpan _reportInterval;
    private readonly TimeSpan _flushTimeout;
    private readonly Lock _reportLock = new();
    private IAsyncLogEventSinkInspector? _inspector;
    private long _reportedDrops;
    private bool _disposed;

    public BoundedLog(
        LogEventLevel minimumLevel, int bufferSize, Action<LoggerSinkConfiguration> writeTo, TimeSpan reportInterval, TimeSpan flushTimeout)
    {
        _reportInterval = reportInterval;
        _flushTimeout = flushTimeout;
        Logger = new LoggerConfiguration()
            .MinimumLevel.Is(minimumLevel)
            .WriteTo.Async(writeTo, bufferSize, blockWhenFull: false, monitor: this)
            .CreateLogger();

        // A thread of its own rather than a timer: out of file descriptors, the runtime cannot add thread-pool
        // threads and gives up (exits) when a timer callback needs one.
        _reporter = new Thread(ReportPeriodically, 128 * 1024) { IsBackground = true, Name = "hftp-log-drops" };
        _reporter.Start();
    }

    public Logger Logger { get; }

    /// <summary>Events dropped so far because the queue was full.</summary>
    public long DroppedEvents => Volatile.Read(ref _inspector)?.DroppedMessagesCount ?? 0;

    void IAsyncLogEventSinkMonitor.StartMonitoring(IAsyncLogEventSinkInspector inspector) => Volatile.Write(ref _inspector, inspector);

    void IAsyncLogEventSinkMonitor.StopMonitoring(IAsyncLogEventSinkInspector inspector)
    {
        // Keeps the inspector: its drop count stays readable after the sink is disposed.
    }

    /// <summary>Reports the last drops, then flushes the queue for at most the flush timeout.</summary>
    public void Dispose()
    {
        lock (_reportLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _stopReporting.Set();
        _reporter.Join();
        ReportDrops(force: true);

        // Disposing the sink waits until the console took every queued line; a console nobody reads never does.
        var flush = new Thread(Logger.Dispose, 128 * 1024) { IsBackground = true, Name = "hftp-log-flush" };
        flush.Start();
        flush.Join(_flushTimeout);
        _stopReporting.Dispose();
    }

    private void ReportPeriodically()
    {
        while (!_stopReporting.Wait(_reportInterval))
        {
            ReportDrops();
        }
    }

    private void ReportDrops(bool force = false)
    {
        lock (_reportLock)
        {
            if ((_disposed && !force) || Volatile.Read(ref _inspector) is not { } inspector)
            {
                return;
            }

            var dropped = inspector.DroppedMessagesCount;

            // While the queue is still full the report would only be dropped too; wait for room.
            if (dropped > _reportedDrops && inspector.Count < inspector.BufferSize)
            {
                Logger.Warning("Dropped {Count} log events: the console was not being read", dropped - _reportedDrops);
                Volatile.Write(ref _reportedDrops, dropped);
            }
        }
    }
}
