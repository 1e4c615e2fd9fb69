using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hftp.Benchmark;

/// <summary>
/// <c>open</c>: the connection-open rate. Opens C connections, at most <c>--window</c> of them connecting or
/// waiting for their reply at once; each sends one <c>get_metadata NAME</c> and must get the right reply. They
/// are all held until the end, or each closed after its reply (<c>--churn</c>). Reports connections/s from the
/// first connect to the last reply, and the connect-to-reply latency.
/// </summary>
internal sealed class OpenLoad(LoadSettings settings, string name, int window, bool churn, TextWriter output)
{
    private static readonly TimeSpan ConnectionTimeout = TimeSpan.FromSeconds(10);

    private readonly LatencyHistogram _latencies = new();
    private readonly ConcurrentQueue<Socket> _held = new();
    private long _maxMicroseconds;
    private long _lastReply;
    private int _next;
    private long _served;
    private long _failed;
    private long _wrong;

    /// <summary>The <c>open</c> subcommand; <paramref name="settings"/> reads the options every load shares.</summary>
    public static Command Command(Option<string> file, Func<ParseResult, LoadSettings> settings, TextWriter output)
    {
        var window = new Option<int>("--window")
        {
            Description = "Connections connecting or waiting for their reply at once (one thread each)",
            DefaultValueFactory = _ => 256,
        };
        window.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 10_000)
            {
                result.AddError("--window must be from 1 to 10000.");
            }
        });
        var churn = new Option<bool>("--churn") { Description = "Close each connection after its reply (default: hold them all until the end)" };
        var open = new Command("open", "Opens C connections as fast as possible, one get_metadata each; reports connections/s") { file, window, churn };
        open.SetAction(result => new OpenLoad(settings(result), result.GetRequiredValue(file), result.GetValue(window), result.GetValue(churn), output).Run());
        return open;
    }

    public int Run()
    {
        var size = Wire.GetSize(settings.Host, settings.Port, name);
        var request = Encoding.ASCII.GetBytes(Hftp.Protocol.Requests.GetMetadata(name));
        var reply = Encoding.ASCII.GetBytes(Hftp.Protocol.Replies.Size(size));
        var endPoint = new IPEndPoint(Dns.GetHostAddresses(settings.Host)[0], settings.Port);
        var report = new LoadReport("open", output);
        WarnIfTooFewFileDescriptors(report);
        using var sampler = settings.ServerPid is { } pid ? new ServerSampler(pid) : null;
        var deadline = Stopwatch.GetTimestamp() + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        _lastReply = started;
        try
        {
            ConnectionThreads.Run(Math.Min(window, settings.Connections), () => Loop(endPoint, request, reply, deadline));
            var seconds = (Interlocked.Read(ref _lastReply) - started) / (double)Stopwatch.Frequency;
            var rate = seconds > 0 ? _served / seconds : 0;
            var failed = _failed + Math.Max(0, settings.Connections - _next);
            var max = Interlocked.Read(ref _maxMicroseconds) / 1000.0;

            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"open: {settings.Connections} connections, at most {window} at once, {(churn ? "each closed after its reply" : "all held")}: {_served} served in {seconds:0.00} s ({failed} failed, {_wrong} wrong)"));
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"rate: {rate:0} connections/s; connect to reply p50 {Math.Min(_latencies.Percentile(0.5) / 1000, max):0.000} ms, p99 {Math.Min(_latencies.Percentile(0.99) / 1000, max):0.000} ms, max {max:0.000} ms"));
            report.Add("connections", settings.Connections);
            report.Add("window", window);
            report.Add("churn", churn ? "yes" : "no");
            report.Add("served", _served);
            report.Add("failed", failed);
            report.Add("wrong", _wrong);
            report.Add("seconds", seconds, "0.000");
            report.Add("conn_per_s", rate, "0");
            report.Add("p50_ms", Math.Min(_latencies.Percentile(0.5) / 1000, max));
            report.Add("p99_ms", Math.Min(_latencies.Percentile(0.99) / 1000, max));
            report.Add("max_ms", max);
            report.AddServer(sampler);
            report.Finish();
            return _served == settings.Connections && failed == 0 && _wrong == 0 ? 0 : 1;
        }
        finally
        {
            while (_held.TryDequeue(out var socket))
            {
                socket.Dispose();
            }
        }
    }

    private void Loop(IPEndPoint endPoint, byte[] request, byte[] reply, long deadline)
    {
        var received = new byte[reply.Length];
        while (Interlocked.Increment(ref _next) <= settings.Connections)
        {
            if (Stopwatch.GetTimestamp() >= deadline)
            {
                Interlocked.Decrement(ref _next); // never started: counted as failed at the end
                return;
            }

            var started = Stopwatch.GetTimestamp();
            Socket? socket = null;
            try
            {
                socket = Wire.ConnectWithin(endPoint, ConnectionTimeout);
                socket.ReceiveTimeout = (int)ConnectionTimeout.TotalMilliseconds;
                Wire.SendAll(socket, request);
                Wire.ReceiveExactly(socket, received);
                if (!received.AsSpan().SequenceEqual(reply))
                {
                    Interlocked.Increment(ref _wrong);
                    output.WriteLine($"wrong reply: {Encoding.ASCII.GetString(received).ReplaceLineEndings("\\r\\n")}");
                    continue;
                }

                var now = Stopwatch.GetTimestamp();
                var microseconds = (now - started) * 1_000_000 / Stopwatch.Frequency;
                _latencies.Record(microseconds);
                RaiseTo(ref _maxMicroseconds, microseconds);
                RaiseTo(ref _lastReply, now);
                Interlocked.Increment(ref _served);
                if (!churn)
                {
                    _held.Enqueue(socket);
                    socket = null;
                }
            }
            catch (Exception exception) when (exception is SocketException or IOException or TimeoutException)
            {
                if (Interlocked.Increment(ref _failed) <= 3)
                {
                    output.WriteLine($"error: {exception.Message}");
                }
            }
            finally
            {
                socket?.Dispose();
            }
        }
    }

    private static void RaiseTo(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void WarnIfTooFewFileDescriptors(LoadReport report)
    {
        // The .NET runtime raises its soft RLIMIT_NOFILE to the hard limit at startup; past that only `ulimit -Hn` helps.
        var needed = (churn ? window : settings.Connections) + 100;
        if (FileDescriptorLimit.Read("self") is var own && own < needed)
        {
            report.Line($"warning: this process may open only {own} files, {needed} are needed: raise `ulimit -Hn` first");
        }
    }
}
