using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Benchmark;

/// <summary>
/// <c>small</c>: each connection sends <c>get_metadata NAME</c> in batches of P (pipelined, like
/// <c>redis-benchmark -P</c>), checks every reply byte for byte, and records each request's latency.
/// </summary>
internal sealed class SmallLoad(LoadSettings settings, string name, int pipeline, TextWriter output)
{
    private readonly LatencyHistogram _latencies = new();
    private long _requests;
    private long _errors;
    private long _connected;
    private long _started;
    private long _deadline;

    public int Run()
    {
        var size = Wire.GetSize(settings.Host, settings.Port, name);
        var request = Encoding.ASCII.GetBytes(Requests.GetMetadata(name));
        var batch = Enumerable.Repeat(request, pipeline).SelectMany(bytes => bytes).ToArray();
        var reply = Encoding.ASCII.GetBytes(Replies.Size(size));

        var report = new LoadReport("small", output);
        using var sampler = settings.ServerPid is { } pid ? new ServerSampler(pid) : null;
        // The clock starts once every connection is open: with thousands of them, threads that start late would
        // otherwise find the others already loaded and the run would end with only some of them ever open.
        var endPoint = new IPEndPoint(Dns.GetHostAddresses(settings.Host)[0], settings.Port);
        using var allConnected = new Barrier(settings.Connections, _ => StartClock());
        ConnectionThreads.Run(settings.Connections, () => Loop(endPoint, batch, reply, allConnected));
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;

        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"small: get_metadata {name} x {settings.Connections} connections, {pipeline} in flight, for {seconds:0.00} s: {_requests} requests, {_errors} errors"));
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"throughput: {_requests / seconds:0} requests/s; latency mean {_latencies.MeanMicroseconds / 1000:0.000} ms, p50 {_latencies.Percentile(0.5) / 1000:0.000} ms, p99 {_latencies.Percentile(0.99) / 1000:0.000} ms, p99.9 {_latencies.Percentile(0.999) / 1000:0.000} ms"));
        report.Add("requests", _requests);
        report.Add("rps", _requests / seconds, "0");
        report.Add("mean_ms", _latencies.MeanMicroseconds / 1000);
        report.Add("p50_ms", _latencies.Percentile(0.5) / 1000);
        report.Add("p99_ms", _latencies.Percentile(0.99) / 1000);
        report.Add("p999_ms", _latencies.Percentile(0.999) / 1000);
        report.Add("errors", _errors);
        report.Add("connected", _connected);
        if (sampler is not null && _requests > 0)
        {
            report.Line(string.Create(CultureInfo.InvariantCulture, $"server CPU per request: {sampler.CpuSecondsSinceStart * 1e6 / _requests:0.00} µs"));
            report.Add("server_cpu_us_per_request", sampler.CpuSecondsSinceStart * 1e6 / _requests, "0.00");
        }

        report.AddServer(sampler);
        report.Finish();
        return _errors == 0 && _requests > 0 ? 0 : 1;
    }

    private void StartClock()
    {
        _started = Stopwatch.GetTimestamp();
        _deadline = _started + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
    }

    private void Loop(IPEndPoint endPoint, byte[] batch, byte[] reply, Barrier allConnected)
    {
        var expected = Enumerable.Repeat(reply, pipeline).SelectMany(bytes => bytes).ToArray();
        var received = new byte[expected.Length];
        Socket connected;
        try
        {
            connected = Wire.ConnectWithin(endPoint, TimeSpan.FromSeconds(10));
            Interlocked.Increment(ref _connected);
        }
        catch (Exception exception) when (exception is SocketException or TimeoutException)
        {
            Interlocked.Increment(ref _errors);
            output.WriteLine($"error: {exception.Message}");
            allConnected.RemoveParticipant();
            return;
        }

        allConnected.SignalAndWait();
        try
        {
            using var socket = connected;
            while (Stopwatch.GetTimestamp() < _deadline)
            {
                var sent = Stopwatch.GetTimestamp();
                Wire.SendAll(socket, batch);
                var filled = 0;
                var answered = 0;
                while (answered < pipeline)
                {
                    var read = socket.Receive(received, filled, received.Length - filled, System.Net.Sockets.SocketFlags.None);
                    if (read == 0)
                    {
                        throw new IOException("The server closed the connection");
                    }

                    filled += read;
                    var now = Stopwatch.GetTimestamp();
                    for (; answered < filled / reply.Length; answered++)
                    {
                        _latencies.Record((now - sent) * 1_000_000 / Stopwatch.Frequency);
                    }
                }

                if (!received.AsSpan().SequenceEqual(expected))
                {
                    throw new InvalidDataException("a reply differs from the expected one");
                }

                Interlocked.Add(ref _requests, pipeline);
            }
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            Interlocked.Increment(ref _errors);
            output.WriteLine($"error: {exception.Message}");
        }
    }
}
