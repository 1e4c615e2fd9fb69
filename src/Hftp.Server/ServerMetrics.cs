using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Hftp.Protocol;
using Hftp.Server.Networking;

namespace Hftp.Server;

/// <summary>The server's metrics, counted here and offered two ways from the same counts: in process, as
/// <see cref="System.Diagnostics.Metrics"/> instruments of a meter named <see cref="MeterName"/>, one per server (so a
/// listener such as dotnet-counters tells servers apart), and as Prometheus text for --metrics
/// (<see cref="PrometheusText"/>). Counting is an interlocked add: nothing is allocated.</summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Hftp.Server";

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static readonly string? Version = typeof(ServerMetrics).Assembly.GetName().Version?.ToString(3);

    private static readonly string Scope = $"otel_scope_name=\"{MeterName}\",otel_scope_version=\"{Version}\"";

    // Slices take from well under a millisecond (a few bytes from cache) to minutes (gigabytes to a slow client).
    public static readonly double[] SliceDurationBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    public static readonly string[] CommandNames = ["invalid", .. Enum.GetValues<Command>().Select(Commands.Name)];

    public static readonly StatusCode[] Statuses = [.. StatusCodes.Values];

    public static readonly string[] StatusNames = [.. Statuses.Select(status => ((int)status).ToString(CultureInfo.InvariantCulture))];

    // The reason as the tag shows it: ShutdownAfterReply is shutdown_after_reply.
    public static readonly string[] ReasonNames = [.. Enum.GetNames<CloseReason>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName)];

    // The timeouts among the close reasons, and their kind as the tag shows it.
    public static readonly (CloseReason Reason, string Kind)[] Timeouts =
        [(CloseReason.IdleTimeout, "idle"), (CloseReason.RequestTimeout, "request"), (CloseReason.SendTimeout, "send")];

    private readonly Func<int> _openConnections;
    private readonly Func<int> _maxConnections;
    private readonly Func<(int Busy, int Idle)> _connectionThreads;
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
        (_openConnections, _maxConnections, _connectionThreads) = (openConnections, maxConnections, connectionThreads);
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
        Meter.CreateObservableCounter("hftp.connections.closed", () => ObserveClosed(
            Enum.GetValues<CloseReason>().Select(reason => (reason, "hftp.close.reason", ReasonNames[(int)reason]))), "{connection}", Help.Closed);
        Meter.CreateObservableCounter("hftp.timeouts", () => ObserveClosed(
            Timeouts.Select(timeout => (timeout.Reason, "hftp.timeout.kind", timeout.Kind))), "{timeout}", Help.Timeouts);
        Meter.CreateObservableCounter("hftp.requests", ObserveRequests, "{request}", Help.Requests);
        Meter.CreateObservableCounter("hftp.sent", () => SentBytes, "By", Help.Sent);
        _sliceDuration = Meter.CreateHistogram("hftp.slice.duration", "s", Help.SliceDuration,
            tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = SliceDurationBuckets });
    }

    public Meter Meter { get; }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long CapReachedCount => Interlocked.Read(ref _capReached);

    public long SentBytes => Interlocked.Read(ref _sentBytes);

    public void ConnectionAccepted() => Interlocked.Increment(ref _accepted);

    public void CapReached() => Interlocked.Increment(ref _capReached);

    public void ConnectionClosed(CloseReason reason) => Interlocked.Increment(ref _closedBy[(int)reason]);

    /// <summary>Counts an answered request; a <c>get_slice</c> answered 0 OK also records how long it took.</summary>
    public void RequestAnswered(in Request request, StatusCode status, TimeSpan took)
    {
        var command = request.IsValid ? 1 + (int)request.Command : 0;
        Interlocked.Increment(ref _requests[(command * Statuses.Length) + Array.IndexOf(Statuses, status)]);
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

    /// <summary>The counts now, in the Prometheus text format (0.0.4), named as OpenTelemetry's Prometheus exporter
    /// names the instruments: dots become underscores, the unit is a suffix (s: _seconds, By: _bytes), counters end in
    /// _total, and every sample carries the meter's scope. A labelled counter appears once counted.</summary>
    public byte[] PrometheusText()
    {
        var text = new StringBuilder("# TYPE target_info gauge\n# HELP target_info Target metadata\n")
            .Append(CultureInfo.InvariantCulture, $"target_info{{service_name=\"hftp-server\",service_version=\"{Version ?? "unknown"}\"}} 1\n");
        var (busy, idle) = _connectionThreads();
        Family(text, "hftp_connections_open", "gauge", Help.Open, [("", _openConnections())]);
        Family(text, "hftp_connections_max", "gauge", Help.Max, [("", _maxConnections())]);
        Family(text, "hftp_connection_threads", "gauge", Help.Threads, [(",hftp_thread_state=\"busy\"", busy), (",hftp_thread_state=\"idle\"", idle)]);
        Family(text, "hftp_connections_accepted_total", "counter", Help.Accepted, [("", Accepted)]);
        Family(text, "hftp_connections_cap_reached_total", "counter", Help.CapReached, [("", CapReachedCount)]);
        Family(text, "hftp_connections_closed_total", "counter", Help.Closed,
            Enum.GetValues<CloseReason>().Select(reason => ($",hftp_close_reason=\"{ReasonNames[(int)reason]}\"", ClosedBy(reason))));
        Family(text, "hftp_timeouts_total", "counter", Help.Timeouts,
            Timeouts.Select(timeout => ($",hftp_timeout_kind=\"{timeout.Kind}\"", ClosedBy(timeout.Reason))));
        Family(text, "hftp_requests_total", "counter", Help.Requests,
            from command in Enumerable.Range(0, CommandNames.Length)
            from status in Enumerable.Range(0, StatusNames.Length)
            select ($",hftp_request_command=\"{CommandNames[command]}\",hftp_response_status_code=\"{StatusNames[status]}\"", Requests(command, status)));
        Family(text, "hftp_sent_bytes_total", "counter", Help.Sent, [("", SentBytes)]);
        WriteSliceDurations(text);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public void Dispose() => Meter.Dispose();

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    // Gauges and unlabelled counters always; a labelled counter once it counted something, and its family with it.
    private static void Family(StringBuilder text, string name, string type, string help, IEnumerable<(string Labels, long Value)> series)
    {
        var samples = series.Where(sample => type == "gauge" || sample.Labels.Length == 0 || sample.Value != 0).ToList();
        if (samples.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} {type}\n# HELP {name} {help}\n");
            samples.ForEach(sample => text.Append(CultureInfo.InvariantCulture, $"{name}{{{Scope}{sample.Labels}}} {sample.Value}\n"));
        }
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private void WriteSliceDurations(StringBuilder text)
    {
        const string name = "hftp_slice_duration_seconds";
        var (buckets, sum) = SliceDurations();
        text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} histogram\n# HELP {name} {Help.SliceDuration}\n");
        long cumulative = 0;
        for (var bucket = 0; bucket < buckets.Length; bucket++)
        {
            cumulative += buckets[bucket];
            var bound = bucket < SliceDurationBuckets.Length ? Number(SliceDurationBuckets[bucket]) : "+Inf";
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{Scope},le=\"{bound}\"}} {cumulative}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{Scope}}} {Number(sum)}\n{name}_count{{{Scope}}} {cumulative}\n");
    }

    // At each collection: one measurement per close reason seen so far, tagged as given.
    private IEnumerable<Measurement<long>> ObserveClosed(IEnumerable<(CloseReason Reason, string Key, string Value)> series) =>
        series.Where(closed => ClosedBy(closed.Reason) > 0).Select(closed => new Measurement<long>(ClosedBy(closed.Reason), Tag(closed.Key, closed.Value)));

    // At each collection: one measurement per command and status seen so far.
    private IEnumerable<Measurement<long>> ObserveRequests() =>
        from command in Enumerable.Range(0, CommandNames.Length)
        from status in Enumerable.Range(0, StatusNames.Length)
        let count = Requests(command, status)
        where count > 0
        select new Measurement<long>(count, Tag("hftp.request.command", CommandNames[command]), Tag("hftp.response.status_code", StatusNames[status]));

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
