using System.Globalization;
using System.Text;
using Hftp.Server.Networking;

namespace Hftp.Server;

/// <summary>
/// A server's metrics in the Prometheus text format (0.0.4), written from <see cref="ServerMetrics"/>' counts at each
/// scrape, on the caller's thread (a scrape needs no thread pool). Named as OpenTelemetry's Prometheus exporter names
/// the meter's instruments: dots become underscores, the unit is a suffix (s: _seconds, By: _bytes), counters end in
/// _total, and every sample carries otel_scope_name and otel_scope_version. A labelled counter appears once counted.
/// </summary>
internal sealed class PrometheusText(ServerMetrics metrics, string serviceName)
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string Scope = $"otel_scope_name=\"{ServerMetrics.MeterName}\",otel_scope_version=\"{ServerMetrics.Version}\"";

    /// <summary>The metrics as they are now, as UTF-8 text.</summary>
    public byte[] Collect()
    {
        var text = new StringBuilder("# TYPE target_info gauge\n# HELP target_info Target metadata\n")
            .Append(CultureInfo.InvariantCulture, $"target_info{{service_name=\"{serviceName}\",service_version=\"{ServerMetrics.Version ?? "unknown"}\"}} 1\n");
        var (busy, idle) = metrics.ConnectionThreads();
        Family(text, "hftp_connections_open", "gauge", ServerMetrics.Help.Open, [("", metrics.OpenConnections())]);
        Family(text, "hftp_connections_max", "gauge", ServerMetrics.Help.Max, [("", metrics.MaxConnections())]);
        Family(text, "hftp_connection_threads", "gauge", ServerMetrics.Help.Threads,
            [(",hftp_thread_state=\"busy\"", busy), (",hftp_thread_state=\"idle\"", idle)]);
        Family(text, "hftp_connections_accepted_total", "counter", ServerMetrics.Help.Accepted, [("", metrics.Accepted)]);
        Family(text, "hftp_connections_cap_reached_total", "counter", ServerMetrics.Help.CapReached, [("", metrics.CapReachedCount)]);
        Family(text, "hftp_connections_closed_total", "counter", ServerMetrics.Help.Closed, Enum.GetValues<CloseReason>()
            .Select(reason => ($",hftp_close_reason=\"{ServerMetrics.ReasonNames[(int)reason]}\"", metrics.ClosedBy(reason))));
        Family(text, "hftp_timeouts_total", "counter", ServerMetrics.Help.Timeouts,
            ServerMetrics.Timeouts.Select(timeout => ($",hftp_timeout_kind=\"{timeout.Kind}\"", metrics.ClosedBy(timeout.Reason))));
        Family(text, "hftp_requests_total", "counter", ServerMetrics.Help.Requests,
            from command in Enumerable.Range(0, ServerMetrics.CommandNames.Length)
            from status in Enumerable.Range(0, ServerMetrics.StatusNames.Length)
            select ($",hftp_request_command=\"{ServerMetrics.CommandNames[command]}\",hftp_response_status_code=\"{ServerMetrics.StatusNames[status]}\"",
                metrics.Requests(command, status)));
        Family(text, "hftp_sent_bytes_total", "counter", ServerMetrics.Help.Sent, [("", metrics.SentBytes)]);
        WriteSliceDurations(text);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

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

    private void WriteSliceDurations(StringBuilder text)
    {
        const string name = "hftp_slice_duration_seconds";
        var (buckets, sum) = metrics.SliceDurations();
        text.Append(CultureInfo.InvariantCulture, $"# TYPE {name} histogram\n# HELP {name} {ServerMetrics.Help.SliceDuration}\n");
        long cumulative = 0;
        for (var bucket = 0; bucket < buckets.Length; bucket++)
        {
            cumulative += buckets[bucket];
            var bound = bucket < ServerMetrics.SliceDurationBuckets.Length ? Number(ServerMetrics.SliceDurationBuckets[bucket]) : "+Inf";
            text.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{Scope},le=\"{bound}\"}} {cumulative}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{Scope}}} {Number(sum)}\n{name}_count{{{Scope}}} {cumulative}\n");
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
