using System.Globalization;
using System.Net;
using Hftp.Protocol;
using Hftp.Server.Networking;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using Serilog.Sinks.Async;

namespace Hftp.Server;

/// <summary>The server's log: the console or a file (<c>--log-file</c>), as text or JSON (<c>--log-format</c>), written
/// on a background thread from a bounded queue (Serilog.Sinks.Async). A full queue drops new events, never waits, so a
/// console nobody reads never blocks the accept loop or a connection; drops are counted and reported in one line once
/// there is room. SIGHUP reopens the file (after a rotation); disposing flushes for a bounded time only.</summary>
public sealed class ServerLog : IAsyncLogEventSinkMonitor, IDisposable
{
    /// <summary>The text form: date, time to the millisecond and UTC offset, level, message (strings and enumerations unquoted).</summary>
    public const string OutputTemplate = "[{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} {Level:u3}] {Message:l}{NewLine}{Exception}";

    /// <summary>Events waiting for a slow console before new ones are dropped (Serilog.Sinks.Async's own default).</summary>
    public const int DefaultBufferSize = 10_000;

    private readonly Thread _reporter;
    private readonly ManualResetEventSlim _stopReporting = new();
    private readonly TimeSpan _reportInterval;
    private readonly TimeSpan _flushTimeout;
    private readonly ReopenableFileSink? _file;
    private IAsyncLogEventSinkInspector? _inspector;
    private long _reportedDrops;
    private int _disposed;

    /// <summary>A log to the sink <paramref name="writeTo"/> configures (tests give a pipe), with the drop report and flush timing given.</summary>
    internal ServerLog(
        LogEventLevel minimumLevel, int bufferSize, Action<LoggerSinkConfiguration> writeTo, TimeSpan reportInterval, TimeSpan flushTimeout,
        ReopenableFileSink? file = null)
    {
        _reportInterval = reportInterval;
        _flushTimeout = flushTimeout;
        _file = file;
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

    /// <summary>The log file, or null when the log goes to the console.</summary>
    public string? FilePath => _file?.Path;

    /// <summary>Events dropped so far because the queue was full.</summary>
    public long DroppedEvents => Volatile.Read(ref _inspector)?.DroppedMessagesCount ?? 0;

    /// <summary>The log, to <see cref="LogSettings.File"/> (appended to or created) or else standard output; throws
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> if the file cannot be opened.</summary>
    public static ServerLog Create(LogSettings settings)
    {
        ITextFormatter formatter = settings.Format == LogFormat.Json
            ? new RenderedCompactJsonFormatter()
            : new MessageTemplateTextFormatter(OutputTemplate, CultureInfo.InvariantCulture);
        var file = settings.File is null ? null : new ReopenableFileSink(Path.GetFullPath(settings.File), formatter);
        Action<LoggerSinkConfiguration> writeTo = file is null ? to => to.Console(formatter) : to => to.Sink(file);
        // Drops counted into one line every 2 s; the exit waits at most 1 s for the console to take the last lines.
        return new ServerLog(settings.MinimumLevel, settings.BufferSize, writeTo, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), file);
    }

    /// <summary>Closes the log file and opens it again by its path (a rotation moved it away); false when there is no file.</summary>
    public bool Reopen()
    {
        _file?.Reopen();
        return _file is not null;
    }

    void IAsyncLogEventSinkMonitor.StartMonitoring(IAsyncLogEventSinkInspector inspector) => Volatile.Write(ref _inspector, inspector);

    void IAsyncLogEventSinkMonitor.StopMonitoring(IAsyncLogEventSinkInspector inspector)
    {
        // Keeps the inspector: its drop count stays readable after the sink is disposed.
    }

    /// <summary>Reports the last drops, then flushes the queue for at most the flush timeout.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The reporter ends before the last report: drops are only ever reported from one thread at a time.
        _stopReporting.Set();
        _reporter.Join();
        ReportDrops();

        // Disposing the sink waits until the console took every queued line; a console nobody reads never does.
        var flush = new Thread(Logger.Dispose, 128 * 1024) { IsBackground = true, Name = "hftp-log-flush" };
        flush.Start();
        flush.Join(_flushTimeout);
        _stopReporting.Dispose();
    }

    // The lines of a connection that choose among several templates, at the level it picks. Events at Debug are built
    // only when Debug is enabled, so the request path pays nothing for them otherwise.
    internal static void Connected(ILogger logger, LogEventLevel level, IPEndPoint? remote, IPEndPoint? proxy)
    {
        if (proxy is null)
        {
            logger.Write(level, "Connected by {Remote}", remote);
        }
        else
        {
            logger.Write(level, "Connected by {Remote} through proxy {Proxy}", remote, proxy);
        }
    }

    internal static void Closed(
        ILogger logger, LogEventLevel level, IPEndPoint? remote, CloseReason reason, string? networkError, long requests, long bytesSent, TimeSpan duration)
    {
        // Five values or more are boxed into an array before Serilog looks at the level: a slowloris shed at Warning
        // made 10,000 closing threads allocate, each taking a fresh allocation context, for a line never written.
        if (!logger.IsEnabled(level))
        {
            return;
        }

        if (networkError is null)
        {
            logger.Write(level, "Closed {Remote} ({Reason}): requests served {Requests}, bytes sent {BytesSent}, {Seconds:0.000} s",
                remote, reason, requests, bytesSent, duration.TotalSeconds);
        }
        else
        {
            logger.Write(level, "Closed {Remote} ({Reason}: {Error}): requests served {Requests}, bytes sent {BytesSent}, {Seconds:0.000} s",
                remote, reason, networkError, requests, bytesSent, duration.TotalSeconds);
        }
    }

    /// <summary>One line per answered request at Debug, written once it is answered, so it tells what the client got.</summary>
    internal static void RequestAnswered(ILogger logger, IPEndPoint? remote, in Request request, StatusCode status, long replyBytes)
    {
        if (!logger.IsEnabled(LogEventLevel.Debug))
        {
            return;
        }

        if (!request.IsValid)
        {
            logger.Debug("{Remote} sent an invalid request -> {Status}, {Bytes} bytes", remote, status.Describe(), replyBytes);
        }
        else if (request.Command == Command.GetSlice)
        {
            logger.Debug("{Remote} {Command} {FileName} {Offset} {Size} -> {Status}, {Bytes} bytes",
                remote, request.Command.Name(), request.FileNameText ?? "(name too long)", request.Offset, request.Size, status.Describe(), replyBytes);
        }
        else if (request.Command == Command.GetMetadata)
        {
            logger.Debug("{Remote} {Command} {FileName} -> {Status}, {Bytes} bytes",
                remote, request.Command.Name(), request.FileNameText ?? "(name too long)", status.Describe(), replyBytes);
        }
        else
        {
            logger.Debug("{Remote} {Command} -> {Status}, {Bytes} bytes", remote, request.Command.Name(), status.Describe(), replyBytes);
        }
    }

    private void ReportPeriodically()
    {
        while (!_stopReporting.Wait(_reportInterval))
        {
            ReportDrops();
        }
    }

    private void ReportDrops()
    {
        if (Volatile.Read(ref _inspector) is not { } inspector)
        {
            return;
        }

        // While the queue is still full the report would only be dropped too; wait for room.
        var dropped = inspector.DroppedMessagesCount;
        if (dropped > _reportedDrops && inspector.Count < inspector.BufferSize)
        {
            Logger.Warning(_file is null
                ? "Dropped {Count} log events: the console was not being read"
                : "Dropped {Count} log events: the log file was not keeping up", dropped - _reportedDrops);
            _reportedDrops = dropped;
        }
    }
}

/// <summary>How log events are written (<c>--log-format</c>).</summary>
public enum LogFormat
{
    /// <summary>One line per event for people: date, time and UTC offset, level, message.</summary>
    Text,

    /// <summary>One compact JSON object per event for machines (Serilog's rendered compact form).</summary>
    Json,
}

/// <summary>The log options: least level shown, form, file (null: standard output) and queue size.</summary>
public sealed record LogSettings(LogEventLevel MinimumLevel, LogFormat Format, string? File, int BufferSize);
