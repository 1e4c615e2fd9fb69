using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Benchmark;

/// <summary>
/// <c>idle</c>: holds C connections open and idle while a fresh client, one new connection per request,
/// measures how fast it is still served; at the end every held connection must still answer.
/// </summary>
internal sealed class IdleLoad(LoadSettings settings, string name, TextWriter output)
{
    // How long the server may take to accept connections the kernel completed before the probe starts anyway.
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);

    public int Run()
    {
        var size = Wire.GetSize(settings.Host, settings.Port, name);
        var request = Encoding.ASCII.GetBytes(Requests.GetMetadata(name));
        var reply = Encoding.ASCII.GetBytes(Replies.Size(size));
        var report = new LoadReport("idle", output);
        using var sampler = settings.ServerPid is { } pid ? new ServerSampler(pid) : null;

        var held = new List<Socket>(settings.Connections);
        try
        {
            var opening = Stopwatch.GetTimestamp();
            for (var index = 0; index < settings.Connections; index++)
            {
                held.Add(Wire.Connect(settings.Host, settings.Port));
            }

            var opened = Stopwatch.GetElapsedTime(opening);

            // Opened is not yet accepted: the probe starts once the server has taken every held connection.
            var caughtUp = AcceptQueue.WaitUntilEmpty(settings.Port, SettleTimeout);
            var accepted = Stopwatch.GetElapsedTime(opening);
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"idle: opened {held.Count} connections in {opened.TotalSeconds:0.00} s; the server had accepted them all {(caughtUp ? "after" : "not even after")} {accepted.TotalSeconds:0.00} s"));
            report.Add("opened_s", opened.TotalSeconds, "0.00");
            report.Add("accepted_s", accepted.TotalSeconds, "0.00");
            var probe = Probe(request, reply);
            var idleRss = sampler?.CurrentRssKilobytes ?? 0;
            var served = ServeAll(held, request, reply);

            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"fresh client while they were held: {probe.Count} requests, p50 {probe.Percentile(0.5) / 1000:0.000} ms, p99 {probe.Percentile(0.99) / 1000:0.000} ms, max {probe.MaxMicroseconds / 1000.0:0.000} ms"));
            report.Line($"held connections served at the end: {served} of {held.Count}");
            report.Add("held", held.Count);
            report.Add("served", served);
            report.Add("probe_p50_ms", probe.Percentile(0.5) / 1000);
            report.Add("probe_p99_ms", probe.Percentile(0.99) / 1000);
            report.Add("probe_max_ms", probe.MaxMicroseconds / 1000.0);
            if (sampler is not null)
            {
                // Held idle: measured after the probe period, before each connection is asked anything.
                var perIdleConnection = (idleRss - sampler.StartRssKilobytes) / (double)Math.Max(1, held.Count);
                var perServedConnection = (sampler.CurrentRssKilobytes - sampler.StartRssKilobytes) / (double)Math.Max(1, held.Count);
                report.Line(string.Create(CultureInfo.InvariantCulture,
                    $"server RSS per held connection: {perIdleConnection:0.0} KB while idle, {perServedConnection:0.0} KB once each has been served"));
                report.Add("rss_kb_per_connection", perIdleConnection, "0.0");
                report.Add("rss_kb_per_served_connection", perServedConnection, "0.0");
            }

            report.AddServer(sampler);
            report.Finish();
            return served == held.Count ? 0 : 1;
        }
        finally
        {
            held.ForEach(socket => socket.Dispose());
        }
    }

    private LatencyHistogram Probe(byte[] request, byte[] reply)
    {
        var latencies = new LatencyHistogram();
        var received = new byte[reply.Length];
        var deadline = Stopwatch.GetTimestamp() + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var started = Stopwatch.GetTimestamp();
            using var socket = Wire.Connect(settings.Host, settings.Port);
            Wire.SendAll(socket, request);
            Wire.ReceiveExactly(socket, received);
            latencies.Record(Stopwatch.GetElapsedTime(started).Ticks / 10);
            if (!received.AsSpan().SequenceEqual(reply))
            {
                throw new InvalidDataException("the fresh client got a wrong reply");
            }

            Thread.Sleep(10); // a steady trickle, not a second load
        }

        return latencies;
    }

    private static int ServeAll(List<Socket> held, byte[] request, byte[] reply)
    {
        var received = new byte[reply.Length];
        var served = 0;
        foreach (var socket in held)
        {
            try
            {
                Wire.SendAll(socket, request);
            }
            catch (SocketException)
            {
                // counted as not served below
            }
        }

        foreach (var socket in held)
        {
            try
            {
                socket.ReceiveTimeout = 10_000;
                Wire.ReceiveExactly(socket, received);
                served += received.AsSpan().SequenceEqual(reply) ? 1 : 0;
            }
            catch (Exception exception) when (exception is SocketException or IOException)
            {
                // not served
            }
        }

        return served;
    }
}
