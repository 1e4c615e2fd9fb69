using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hftp.Protocol;
using Hftp.Server.Networking;

namespace Hftp.Server;

/// <summary>
/// The server's metrics, as <see cref="System.Diagnostics.Metrics"/> instruments of one meter named
/// <see cref="MeterName"/>. Each server owns its own meter, so a listener can tell servers in one process apart.
/// With no listener attached (no <c>--metrics</c>) every call here is a check of a flag: nothing is allocated.
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Hftp.Server";

    public static readonly string? Version = typeof(ServerMetrics).Assembly.GetName().Version?.ToString(3);

    // Slices take from well under a millisecond (a few bytes from cache) to minutes (gigabytes to a slow client).
    private static readonly double[] SliceDurationBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _capReached;
    private readonly Counter<long> _closed;
    private readonly Counter<long> _timeouts;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _bytesSent;
    private readonly Histogram<double> _sliceDuration;

    public ServerMetrics(Func<int> openConnections, Func<int> maxConnections)
    {
        Meter = new Meter(MeterName, Version);
        Meter.CreateObservableUpDownCounter("hftp.connections.open", openConnections, "{connection}",
            "Connections being served now");
        Meter.CreateObservableUpDownCounter("hftp.connections.max", maxConnections, "{connection}",
            "Connections served at once at most (the connection cap); more wait in the listen backlog");
        _accepted = Meter.CreateCounter<long>("hftp.connections.accepted", "{connection}", "Connections accepted");
        _capReached = Meter.CreateCounter<long>("hftp.connections.cap_reached", "{event}",
            "Times every connection slot was taken, so accepting paused until a connection ended");
        _closed = Meter.CreateCounter<long>("hftp.connections.closed", "{connection}", "Connections ended, by reason");
        _timeouts = Meter.CreateCounter<long>("hftp.timeouts", "{timeout}", "Connections closed by a timeout, by kind");
        _requests = Meter.CreateCounter<long>("hftp.requests", "{request}", "Requests answered, by command and reply status");
        _bytesSent = Meter.CreateCounter<long>("hftp.sent", "By", "Reply bytes handed to the network");
        _sliceDuration = Meter.CreateHistogram("hftp.slice.duration", "s",
            "Time to answer a get_slice answered 0 OK: from reading its file to handing its last byte to the reply buffer",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = SliceDurationBuckets });
    }

    public Meter Meter { get; }

    public void ConnectionAccepted() => _accepted.Add(1);

    public void CapReached() => _capReached.Add(1);

    public void ConnectionClosed(CloseReason reason)
    {
        var name = Name(reason);
        _closed.Add(1, new KeyValuePair<string, object?>("hftp.close.reason", name));
        if (reason is CloseReason.IdleTimeout or CloseReason.RequestTimeout or CloseReason.SendTimeout)
        {
            _timeouts.Add(1, new KeyValuePair<string, object?>("hftp.timeout.kind", TimeoutKind(reason)));
        }
    }

    /// <summary>Counts an answered request; a <c>get_slice</c> answered 0 OK also records how long it took since <paramref name="started"/>.</summary>
    public void RequestAnswered(in Request request, StatusCode status, long started)
    {
        var command = request.IsValid ? request.Command.Name() : "invalid";
        _requests.Add(1,
            new KeyValuePair<string, object?>("hftp.request.command", command),
            new KeyValuePair<string, object?>("hftp.response.status_code", StatusText(status)));
        if (status == StatusCode.Ok && request.IsValid && request.Command == Command.GetSlice && _sliceDuration.Enabled)
        {
            _sliceDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    public void Sent(int bytes) => _bytesSent.Add(bytes);

    public void Dispose() => Meter.Dispose();

    // Constant strings, so a tag costs no allocation.
    private static string StatusText(StatusCode status) => status switch
    {
        StatusCode.Ok => "0",
        StatusCode.BadEol => "100",
        StatusCode.BadRequest => "101",
        StatusCode.InternalServerError => "199",
        StatusCode.NoSuchCommand => "200",
        StatusCode.InvalidArguments => "201",
        StatusCode.FileNotFound => "202",
        StatusCode.OffsetExceedsFileSize => "203",
        _ => "other",
    };

    private static string TimeoutKind(CloseReason reason) => reason switch
    {
        CloseReason.IdleTimeout => "idle",
        CloseReason.RequestTimeout => "request",
        _ => "send",
    };

    private static string Name(CloseReason reason) => reason switch
    {
        CloseReason.Quit => "quit",
        CloseReason.ClientClosed => "client_closed",
        CloseReason.ClientFault => "client_fault",
        CloseReason.ServerFault => "server_fault",
        CloseReason.NetworkError => "network_error",
        CloseReason.ServerStopping => "server_stopping",
        CloseReason.IdleTimeout => "idle_timeout",
        CloseReason.RequestTimeout => "request_timeout",
        CloseReason.SendTimeout => "send_timeout",
        CloseReason.ShutdownWhileIdle => "shutdown_while_idle",
        CloseReason.ShutdownAfterReply => "shutdown_after_reply",
        _ => "other",
    };
}
