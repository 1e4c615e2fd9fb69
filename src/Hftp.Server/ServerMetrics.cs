using System.Diagnostics.Metrics;
using System.Text.Json;
using Hftp.Protocol;
using Hftp.Server.Networking;

namespace Hftp.Server;

/// <summary>
/// The server's metrics, counted here and offered two ways: in process, as <see cref="System.Diagnostics.Metrics"/>
/// instruments of one meter named <see cref="MeterName"/> (each server owns its own, so a listener such as
/// dotnet-counters tells servers apart), and as Prometheus text (<see cref="PrometheusText"/>, for --metrics), written
/// from the same counts. Counting is an interlocked add: nothing is allocated.
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Hftp.Server";

    public static readonly string? Version = typeof(ServerMetrics).Assembly.GetName().Version?.ToString(3);

    // Slices take from well under a millisecond (a few bytes from cache) to minutes (gigabytes to a slow client).
    public static readonly double[] SliceDurationBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    public static readonly string[] CommandNames = ["invalid", .. Enum.GetValues<Command>().Select(Commands.Name)];

    public static readonly string[] StatusNames = ["0", "100", "101", "199", "200", "201", "202", "203"];

    // The reason as the tag shows it: ShutdownAfterReply is shutdown_after_reply.
    public static readonly string[] ReasonNames = [.. Enum.GetNames<CloseReason>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName)];

    // The timeouts among the close reasons, and their kind as the tag shows it.
    public static readonly (CloseReason Reason, string Kind)[] Timeouts =
        [(CloseReason.IdleTimeout, "idle"), (CloseReason.RequestTimeout, "request"), (CloseReason.SendTimeout, "send")];

    private readonly Counter<long> _closed;
    private readonly Counter<long> _timeouts;
    private readonly Histogram<double> _sliceDuration;
    private readonly Lock _sliceLock = new();
    private readonly long[] _requests = new long[CommandNames.Length * StatusNames.Length];
    private readonly long[] _closedBy = new long[ReasonNames.Length];
    private readonly long[] _sliceBuckets = new long[SliceDurationBuckets.Length + 1];
    private long _accepted;
    private long _capReached;
    private long _sentBytes;
    private double _sliceSeconds;

    public ServerMetrics(Func<int> openConnections, Func<int> maxConnections, Func<(int Busy, int Idle)> connectionThreads)
    {
        (OpenConnections, MaxConnections, ConnectionThreads) = (openConnections, maxConnections, connectionThreads);
        Meter = new Meter(MeterName, Version);
        Meter.CreateObservableUpDownCounter("hftp.connections.open", openConnections, "{connection}", Help.Open);
        Meter.CreateObservableUpDownCounter("hftp.connections.max", maxConnections, "{connection}", Help.Max);
        Meter.CreateObservableUpDownCounter("hftp.connection_threads", () =>
        {
            var (busy, idle) = connectionThreads();
            return (Measurement<int>[])[new(busy, Tag("hftp.thread.state", "busy")), new(idle, Tag("hftp.thread.state", "idle"))];
        }, "{thread}", Help.Threads);
        Meter.CreateObservableCounter("hftp.connections.accepted", () => Accepted, "{connection}", Help.Accepted);
        Meter.CreateObservableCounter("hftp.connections.cap_reached", () => CapReachedCount, "{event}", Help.CapReached);
        _closed = Meter.CreateCounter<long>("hftp.connections.closed", "{connection}", Help.Closed);
        _timeouts = Meter.CreateCounter<long>("hftp.timeouts", "{timeout}", Help.Timeouts);
        Meter.CreateObservableCounter("hftp.requests", ObserveRequests, "{request}", Help.Requests);
        Meter.CreateObservableCounter("hftp.sent", () => SentBytes, "By", Help.Sent);
        _sliceDuration = Meter.CreateHistogram("hftp.slice.duration", "s", Help.SliceDuration,
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = SliceDurationBuckets });
    }

    public Meter Meter { get; }

    public Func<int> OpenConnections { get; }

    public Func<int> MaxConnections { get; }

    public Func<(int Busy, int Idle)> ConnectionThreads { get; }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long CapReachedCount => Interlocked.Read(ref _capReached);

    public long SentBytes => Interlocked.Read(ref _sentBytes);

    public void ConnectionAccepted() => Interlocked.Increment(ref _accepted);

    public void CapReached() => Interlocked.Increment(ref _capReached);

    public void ConnectionClosed(CloseReason reason)
    {
        Interlocked.Increment(ref _closedBy[(int)reason]);
        _closed.Add(1, Tag("hftp.close.reason", ReasonNames[(int)reason]));
        foreach (var (timeout, kind) in Timeouts)
        {
            if (timeout == reason)
            {
                _timeouts.Add(1, Tag("hftp.timeout.kind", kind));
            }
        }
    }

    /// <summary>Counts an answered request; a <c>get_slice</c> answered 0 OK also records how long it took.</summary>
    public void RequestAnswered(in Request request, StatusCode status, TimeSpan took)
    {
        var command = request.IsValid ? 1 + (int)request.Command : 0;
        Interlocked.Increment(ref _requests[(command * StatusNames.Length) + StatusSlot(status)]);
        if (status == StatusCode.Ok && request.IsValid && request.Command == Command.GetSlice)
        {
            _sliceDuration.Record(took.TotalSeconds);

            // The first bound at or above the duration (Prometheus buckets are "less or equal"); past all: the last.
            var bucket = Array.BinarySearch(SliceDurationBuckets, took.TotalSeconds);
            lock (_sliceLock)
            {
                _sliceBuckets[bucket >= 0 ? bucket : ~bucket]++;
                _sliceSeconds += took.TotalSeconds;
            }
        }
    }

    public void Sent(int bytes) => Interlocked.Add(ref _sentBytes, bytes);

    /// <summary>Connections closed for <paramref name="reason"/> so far.</summary>
    public long ClosedBy(CloseReason reason) => Interlocked.Read(ref _closedBy[(int)reason]);

    /// <summary>Requests of a command slot (0: invalid, then each <see cref="Command"/> + 1) answered a status slot.</summary>
    public long Requests(int command, int status) => Interlocked.Read(ref _requests[(command * StatusNames.Length) + status]);

    /// <summary>The slice durations' bucket counts (the last one past every bound) and their sum, as of now.</summary>
    public (long[] Buckets, double Sum) SliceDurations()
    {
        lock (_sliceLock)
        {
            return ([.. _sliceBuckets], _sliceSeconds);
        }
    }

    public void Dispose() => Meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

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

    // At each collection: one measurement per command and status seen so far.
    private List<Measurement<long>> ObserveRequests()
    {
        var measurements = new List<Measurement<long>>();
        for (var command = 0; command < CommandNames.Length; command++)
        {
            for (var status = 0; status < StatusNames.Length; status++)
            {
                if (Requests(command, status) is var count and > 0)
                {
                    measurements.Add(new(count, Tag("hftp.request.command", CommandNames[command]), Tag("hftp.response.status_code", StatusNames[status])));
                }
            }
        }

        return measurements;
    }

    /// <summary>Each instrument's description, which the Prometheus text gives as its HELP.</summary>
    public static class Help
    {
        public const string Open = "Connections being served now";
        public const string Max = "Connections served at once at most (the connection cap); more wait in the listen backlog";
        public const string Threads = "Connection threads alive, by state: busy (serving a connection) or idle (kept for reuse)";
        public const string Accepted = "Connections accepted";
        public const string CapReached = "Times every connection slot was taken, so accepting paused until a connection ended";
        public const string Closed = "Connections ended, by reason";
        public const string Timeouts = "Connections closed by a timeout, by kind";
        public const string Requests = "Requests answered, by command and reply status";
        public const string Sent = "Reply bytes handed to the network";
        public const string SliceDuration =
            "Time to answer a get_slice answered 0 OK: from reading its file to handing its last byte to the reply buffer";
    }
}
