using System.Diagnostics.Metrics;
using System.Text.Json;
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
    private readonly ObservableCounter<long> _requests;
    private readonly ObservableCounter<long> _bytesSent;
    private readonly Histogram<double> _sliceDuration;

    // Requests and bytes are summed here and read at each collection: on the hot path one interlocked add,
    // where a counter's measurement would cost the SDK a lookup of its tags per request (measured: ~20% of the
    // requests/s of pipelined get_metadata). Requests by command (invalid, then each Command) and status.
    private readonly long[] _requestCounts = new long[CommandNames.Length * StatusNames.Length];
    private long _sentBytes;

    public ServerMetrics(Func<int> openConnections, Func<int> maxConnections, Func<(int Busy, int Idle)> connectionThreads)
    {
        Meter = new Meter(MeterName, Version);
        Meter.CreateObservableUpDownCounter("hftp.connections.open", openConnections, "{connection}",
            "Connections being served now");
        Meter.CreateObservableUpDownCounter("hftp.connections.max", maxConnections, "{connection}",
            "Connections served at once at most (the connection cap); more wait in the listen backlog");
        Meter.CreateObservableUpDownCounter("hftp.connection_threads", () => ObserveThreads(connectionThreads()), "{thread}",
            "Connection threads alive, by state: busy (serving a connection) or idle (kept for reuse)");
        _accepted = Meter.CreateCounter<long>("hftp.connections.accepted", "{connection}", "Connections accepted");
        _capReached = Meter.CreateCounter<long>("hftp.connections.cap_reached", "{event}",
            "Times every connection slot was taken, so accepting paused until a connection ended");
        _closed = Meter.CreateCounter<long>("hftp.connections.closed", "{connection}", "Connections ended, by reason");
        _timeouts = Meter.CreateCounter<long>("hftp.timeouts", "{timeout}", "Connections closed by a timeout, by kind");
        _requests = Meter.CreateObservableCounter("hftp.requests", ObserveRequests, "{request}",
            "Requests answered, by command and reply status");
        _bytesSent = Meter.CreateObservableCounter("hftp.sent", () => Interlocked.Read(ref _sentBytes), "By",
            "Reply bytes handed to the network");
        _sliceDuration = Meter.CreateHistogram("hftp.slice.duration", "s",
            "Time to answer a get_slice answered 0 OK: from reading its file to handing its last byte to the reply buffer",
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = SliceDurationBuckets });
    }

    public Meter Meter { get; }

    public void ConnectionAccepted() => _accepted.Add(1);

    public void CapReached() => _capReached.Add(1);

    public void ConnectionClosed(CloseReason reason)
    {
        _closed.Add(1, new KeyValuePair<string, object?>("hftp.close.reason", ReasonNames[(int)reason]));
        var timeoutKind = reason switch
        {
            CloseReason.IdleTimeout => "idle",
            CloseReason.RequestTimeout => "request",
            CloseReason.SendTimeout => "send",
            _ => null,
        };
        if (timeoutKind is not null)
        {
            _timeouts.Add(1, new KeyValuePair<string, object?>("hftp.timeout.kind", timeoutKind));
        }
    }

    /// <summary>Counts an answered request; a <c>get_slice</c> answered 0 OK also records how long it took.</summary>
    public void RequestAnswered(in Request request, StatusCode status, TimeSpan took)
    {
        if (_requests.Enabled)
        {
            var command = request.IsValid ? 1 + (int)request.Command : 0;
            Interlocked.Increment(ref _requestCounts[(command * StatusNames.Length) + StatusSlot(status)]);
        }

        if (status == StatusCode.Ok && request.IsValid && request.Command == Command.GetSlice && _sliceDuration.Enabled)
        {
            _sliceDuration.Record(took.TotalSeconds);
        }
    }

    public void Sent(int bytes)
    {
        if (_bytesSent.Enabled)
        {
            Interlocked.Add(ref _sentBytes, bytes);
        }
    }

    public void Dispose() => Meter.Dispose();

    private static readonly string[] CommandNames = ["invalid", .. Enum.GetValues<Command>().Select(Commands.Name)];

    private static readonly string[] StatusNames = ["0", "100", "101", "199", "200", "201", "202", "203"];

    // The reason as the tag shows it: ShutdownAfterReply is shutdown_after_reply.
    private static readonly string[] ReasonNames = [.. Enum.GetNames<CloseReason>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName)];

    private static int StatusSlot(StatusCode status) => status switch
    {
        StatusCode.Ok => 0,
        StatusCode.BadEol => 1,
        StatusCode.BadRequest => 2,
        StatusCode.InternalServerError => 3,
        StatusCode.NoSuchCommand => 4,
        StatusCode.InvalidArguments => 5,
        StatusCode.FileNotFound => 6,
        _ => 7,
    };

    private static Measurement<int>[] ObserveThreads((int Busy, int Idle) counts) =>
    [
        new(counts.Busy, new KeyValuePair<string, object?>("hftp.thread.state", "busy")),
        new(counts.Idle, new KeyValuePair<string, object?>("hftp.thread.state", "idle")),
    ];

    // At each collection: one measurement per command and status seen so far.
    private List<Measurement<long>> ObserveRequests()
    {
        var measurements = new List<Measurement<long>>();
        for (var slot = 0; slot < _requestCounts.Length; slot++)
        {
            var count = Interlocked.Read(ref _requestCounts[slot]);
            if (count > 0)
            {
                measurements.Add(new Measurement<long>(count,
                    new KeyValuePair<string, object?>("hftp.request.command", CommandNames[slot / StatusNames.Length]),
                    new KeyValuePair<string, object?>("hftp.response.status_code", StatusNames[slot % StatusNames.Length])));
            }
        }

        return measurements;
    }
}
