using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Benchmark;

/// <summary>
/// <c>slowloris</c>: opens C connections at a bounded rate, each sending one more byte of a request line that
/// never ends every interval, and keeps them open; meanwhile a probe makes fresh connections, one
/// <c>get_metadata</c> each, and measures their latency. Reports how many held connections the server closed
/// (shed), how long after they opened, and what the fresh client saw.
/// </summary>
internal sealed class SlowlorisLoad(LoadSettings settings, SlowlorisSettings slow, string name, TextWriter output)
{
    private const int MaxReportedFailures = 10;
    private const int SlowestProbesKept = 5;
    private const int TimelineWindow = 5;
    private const int MaxConnectsInFlight = 256;

    // Valid request bytes and no terminator: a server without a request timeout waits for the rest forever.
    private static readonly byte[] EndlessLine = Encoding.ASCII.GetBytes(Requests.GetMetadata(string.Concat(Enumerable.Repeat("slowloris", 100)))[..^Syntax.LineTerminatorText.Length]);

    private readonly ConcurrentQueue<HeldConnection> _opened = new();
    private readonly LatencyHistogram _probeLatencies = new();

    // The same probes split by phase: while connections are still being opened, and once they all are.
    private readonly LatencyHistogram _probeWhileOpening = new();
    private readonly LatencyHistogram _probeOnceOpened = new();
    private readonly List<(double AtSeconds, double Milliseconds)> _slowestProbes = [];
    private readonly List<(double AtSeconds, double Milliseconds)> _probeTimeline = [];
    private volatile bool _allOpened;
    private readonly List<string> _probeFailureMessages = [];
    private long _probeFailures;
    private long _probeMaxMicroseconds;
    private long _openFailures;

    public int Run()
    {
        var endPoint = new IPEndPoint(Dns.GetHostAddresses(settings.Host)[0], settings.Port);
        var size = Wire.GetSize(settings.Host, settings.Port, name);
        var probeReply = Encoding.ASCII.GetBytes(Replies.Size(size));
        var report = new LoadReport("slowloris", output);
        WarnIfTooFewFileDescriptors(report);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"slowloris: {settings.Connections} connections opened at up to {slow.OpenRate}/s, one byte each every {slow.Interval.TotalMilliseconds:0} ms, for {settings.Duration.TotalSeconds:0} s; probe: {slow.ProbeRate} fresh get_metadata {name} per second"));

        var all = new List<HeldConnection>(settings.Connections);
        using var sampler = settings.ServerPid is { } pid ? new ServerSampler(pid) : null;
        var overflowsBefore = ListenOverflows.Read();
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        try
        {
            var opener = new Thread(() => Open(endPoint, all, deadline)) { IsBackground = true, Name = "slowloris-open" };
            var sender = new Thread(() => SendBytes(deadline)) { IsBackground = true, Name = "slowloris-send" };
            var probe = new Thread(() => Probe(endPoint, Encoding.ASCII.GetBytes(Requests.GetMetadata(name)), probeReply, deadline)) { IsBackground = true, Name = "slowloris-probe" };
            opener.Start();
            sender.Start();
            probe.Start();
            opener.Join();
            sender.Join();
            probe.Join();

            // A close the watchers have not reported yet (this process starved of CPU, say) is still a shed
            // connection: the kernel knows; its time is then unknown, so it is counted apart.
            var seenLate = all.Count(connection => connection.ClosedAt == 0 && connection.PeerHasClosed());
            Report(report, all, seenLate, started);
            if (overflowsBefore is { } before && ListenOverflows.Read() is { } after)
            {
                report.Line($"listen queue overflows (kernel, machine-wide) during the load: {after - before}");
                report.Add("listen_overflows", after - before);
            }

            report.AddServer(sampler);
            report.Finish();
            return all.Count > 0 && _probeLatencies.Count > 0 && _probeFailures == 0 ? 0 : 1;
        }
        finally
        {
            all.ForEach(connection => connection.Close());
        }
    }

    private void Report(LoadReport report, List<HeldConnection> all, int seenLate, long started)
    {
        var shed = all.Where(connection => connection.ClosedAt != 0).ToList();
        var shedSeconds = shed.Select(connection => (connection.ClosedAt - connection.OpenedAt) / (double)Stopwatch.Frequency).Order().ToList();
        var lastOpened = all.Count == 0 ? started : all.Max(connection => connection.OpenedAt);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"held: opened {all.Count} of {settings.Connections} in {(lastOpened - started) / (double)Stopwatch.Frequency:0.0} s ({_openFailures} failed to open), at most {PeakHeld(all)} at once"));
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"shed by the server: {shed.Count} ({shed.Count(connection => connection.WasReset)} reset, {shed.Count(connection => connection.ReceivedCount > 0)} after a reply), and {seenLate} more noticed only at the end (time unknown); still open at the end: {all.Count - shed.Count - seenLate}"));
        if (shed.Count > 0)
        {
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"shed after: min {shedSeconds[0]:0.0} s, p50 {Quantile(shedSeconds, 0.5):0.0} s, max {shedSeconds[^1]:0.0} s from each connection's open"));
            var said = shed.Where(connection => connection.ReceivedCount > 0).GroupBy(connection => connection.FirstLine).OrderByDescending(group => group.Count()).FirstOrDefault();
            if (said is not null)
            {
                report.Line($"the server's last words, most often: \"{said.Key}\" ({said.Count()} times)");
            }
        }

        // The histogram answers a bucket's upper edge; the exact maximum bounds it.
        var probeMax = Interlocked.Read(ref _probeMaxMicroseconds) / 1000.0;
        var probeP50 = Math.Min(_probeLatencies.Percentile(0.5) / 1000, probeMax);
        var probeP99 = Math.Min(_probeLatencies.Percentile(0.99) / 1000, probeMax);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"fresh client meanwhile: {_probeLatencies.Count} requests, {_probeFailures} failed; p50 {probeP50:0.000} ms, p99 {probeP99:0.000} ms, max {probeMax:0.000} ms"));
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"  while opening: {_probeWhileOpening.Count} requests, p99 {Math.Min(_probeWhileOpening.Percentile(0.99) / 1000, probeMax):0.000} ms; once all were open: {_probeOnceOpened.Count} requests, p99 {Math.Min(_probeOnceOpened.Percentile(0.99) / 1000, probeMax):0.000} ms"));
        report.Line("  p99 by " + TimelineWindow + " s window: " + string.Join(", ", _probeTimeline
            .GroupBy(probe => (int)(probe.AtSeconds / TimelineWindow))
            .Select(window => string.Create(CultureInfo.InvariantCulture,
                $"{window.Key * TimelineWindow}-{(window.Key + 1) * TimelineWindow} s {Quantile([.. window.Select(probe => probe.Milliseconds).Order()], 0.99):0.0} ms"))));
        double? afterShedP99 = null;
        if (shed.Count > 0 && shed.Count == all.Count)
        {
            // Once every held connection is gone, the probe measures the server (and machine) at rest: a control.
            var allShedAt = (shed.Max(connection => connection.ClosedAt) - started) / (double)Stopwatch.Frequency;
            var afterShed = _probeTimeline.Where(probe => probe.AtSeconds > allShedAt).Select(probe => probe.Milliseconds).Order().ToList();
            if (afterShed.Count > 0)
            {
                report.Line(string.Create(CultureInfo.InvariantCulture,
                    $"  after the last held connection was shed ({allShedAt:0.0} s): {afterShed.Count} requests, p99 {Quantile(afterShed, 0.99):0.000} ms"));
                afterShedP99 = Quantile(afterShed, 0.99);
            }
        }

        report.Line("  slowest: " + string.Join(", ", _slowestProbes.Select(probe => string.Create(CultureInfo.InvariantCulture, $"{probe.Milliseconds:0.0} ms at {probe.AtSeconds:0.0} s"))));
        _probeFailureMessages.ForEach(message => report.Line("probe failed: " + message));

        report.Add("connections", settings.Connections);
        report.Add("interval_ms", slow.Interval.TotalMilliseconds);
        report.Add("seconds", settings.Duration.TotalSeconds);
        report.Add("opened", all.Count);
        report.Add("open_failures", _openFailures);
        report.Add("peak_held", PeakHeld(all));
        report.Add("shed", shed.Count);
        report.Add("shed_reset", shed.Count(connection => connection.WasReset));
        report.Add("shed_after_reply", shed.Count(connection => connection.ReceivedCount > 0));
        report.Add("shed_min_s", shedSeconds.Count > 0 ? shedSeconds[0] : double.NaN, "0.0");
        report.Add("shed_p50_s", shedSeconds.Count > 0 ? Quantile(shedSeconds, 0.5) : double.NaN, "0.0");
        report.Add("shed_max_s", shedSeconds.Count > 0 ? shedSeconds[^1] : double.NaN, "0.0");
        report.Add("shed_seen_at_end", seenLate);
        report.Add("open_at_end", all.Count - shed.Count - seenLate);
        report.Add("probe_requests", _probeLatencies.Count);
        report.Add("probe_failures", _probeFailures);
        report.Add("probe_p50_ms", probeP50);
        report.Add("probe_p99_ms", probeP99);
        report.Add("probe_max_ms", probeMax);
        report.Add("probe_p99_opening_ms", Math.Min(_probeWhileOpening.Percentile(0.99) / 1000, probeMax));
        report.Add("probe_p99_opened_ms", Math.Min(_probeOnceOpened.Percentile(0.99) / 1000, probeMax));
        if (afterShedP99 is { } control)
        {
            report.Add("probe_p99_after_shed_ms", control);
        }
    }

    /// <summary>The most connections open at the same moment: opens count up, the server's closes down.</summary>
    private static int PeakHeld(List<HeldConnection> all)
    {
        var events = all.Select(connection => (At: connection.OpenedAt, Change: 1))
            .Concat(all.Where(connection => connection.ClosedAt != 0).Select(connection => (At: connection.ClosedAt, Change: -1)))
            .OrderBy(change => change.At)
            .ThenBy(change => change.Change);
        int held = 0, peak = 0;
        foreach (var (_, change) in events)
        {
            held += change;
            peak = Math.Max(peak, held);
        }

        return peak;
    }

    private static double Quantile(List<double> sorted, double fraction) => sorted[Math.Min(sorted.Count - 1, (int)(fraction * sorted.Count))];

    private void WarnIfTooFewFileDescriptors(LoadReport report)
    {
        // The .NET runtime raises its soft RLIMIT_NOFILE to the hard limit at startup; past that only `ulimit -Hn` helps.
        var needed = settings.Connections + 100;
        var own = FileDescriptorLimit.Read("self");
        if (own < needed)
        {
            report.Line($"warning: this process may open only {own} files, {settings.Connections} connections need about {needed}: raise `ulimit -n` (hard limit) first");
        }

        if (settings.ServerPid is { } pid && FileDescriptorLimit.Read(pid.ToString(CultureInfo.InvariantCulture)) is var server && server < needed)
        {
            report.Line($"warning: the server may open only {server} files, fewer than the {settings.Connections} connections it is asked to hold");
        }
    }

    // Connects are started at the paced rate without waiting for each: a SYN the server's full listen queue
    // drops costs that connection a second (the kernel's retry), not the whole opening schedule.
    private void Open(IPEndPoint endPoint, List<HeldConnection> all, long deadline)
    {
        using var inFlight = new SemaphoreSlim(MaxConnectsInFlight);
        var started = Stopwatch.GetTimestamp();
        for (var index = 0; index < settings.Connections && Stopwatch.GetTimestamp() < deadline; index++)
        {
            var due = started + (long)(index * Stopwatch.Frequency / slow.OpenRate);
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.Sleep(1); // paces the opening rate
            }

            inFlight.Wait();
            _ = ConnectOneAsync(endPoint, all, inFlight);
        }

        // Waits for the last connects (each bounded by the connect timeout) before the phase is called over.
        for (var slot = 0; slot < MaxConnectsInFlight; slot++)
        {
            inFlight.Wait();
        }

        _allOpened = true;
    }

    private async Task ConnectOneAsync(IPEndPoint endPoint, List<HeldConnection> all, SemaphoreSlim inFlight)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(slow.ConnectTimeout);
            await socket.ConnectAsync(endPoint, timeout.Token);
            var connection = new HeldConnection(socket, Stopwatch.GetTimestamp());
            lock (all)
            {
                all.Add(connection);
            }

            connection.SendNextByte();
            _ = connection.WatchAsync();
            _opened.Enqueue(connection);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            socket.Dispose();
            Interlocked.Increment(ref _openFailures);
        }
        finally
        {
            inFlight.Release();
        }
    }

    private void SendBytes(long deadline)
    {
        var intervalTicks = (long)(slow.Interval.TotalSeconds * Stopwatch.Frequency);
        var schedule = new PriorityQueue<HeldConnection, long>();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            while (_opened.TryDequeue(out var fresh))
            {
                schedule.Enqueue(fresh, fresh.OpenedAt + intervalTicks);
            }

            var now = Stopwatch.GetTimestamp();
            while (schedule.TryPeek(out var connection, out var due) && due <= now)
            {
                schedule.Dequeue();
                if (connection.SendNextByte())
                {
                    schedule.Enqueue(connection, due + intervalTicks);
                }
            }

            Thread.Sleep(5); // one byte per connection per interval: a coarse tick is plenty
        }
    }

    private void Probe(IPEndPoint endPoint, byte[] request, byte[] reply, long deadline)
    {
        var loadStarted = Stopwatch.GetTimestamp();
        var received = new byte[reply.Length];
        var period = (long)(Stopwatch.Frequency / slow.ProbeRate);
        var next = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var socket = Wire.ConnectWithin(endPoint, slow.ConnectTimeout);
                socket.ReceiveTimeout = (int)slow.ConnectTimeout.TotalMilliseconds;
                Wire.SendAll(socket, request);
                try
                {
                    Wire.ReceiveExactly(socket, received);
                }
                catch (SocketException exception) when (exception.SocketErrorCode == SocketError.TimedOut)
                {
                    throw new TimeoutException($"connected, but no reply within {slow.ConnectTimeout.TotalSeconds:0} s");
                }

                var microseconds = Stopwatch.GetElapsedTime(started).Ticks / 10;
                if (!received.AsSpan().SequenceEqual(reply))
                {
                    throw new InvalidDataException("wrong reply: " + Encoding.ASCII.GetString(received).ReplaceLineEndings("\\n"));
                }

                _probeLatencies.Record(microseconds);
                (_allOpened ? _probeOnceOpened : _probeWhileOpening).Record(microseconds);
                _probeMaxMicroseconds = Math.Max(_probeMaxMicroseconds, microseconds);
                var atSeconds = Stopwatch.GetElapsedTime(loadStarted, started).TotalSeconds;
                KeepIfSlowest(atSeconds, microseconds / 1000.0);
                _probeTimeline.Add((atSeconds, microseconds / 1000.0));
            }
            catch (Exception exception) when (exception is AggregateException or TimeoutException or SocketException or IOException or InvalidDataException)
            {
                _probeFailures++;
                if (_probeFailureMessages.Count < MaxReportedFailures)
                {
                    _probeFailureMessages.Add(string.Create(CultureInfo.InvariantCulture,
                        $"at {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s into the probe: {exception.GetBaseException().Message}"));
                }
            }

            next += period;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait > TimeSpan.Zero)
            {
                Thread.Sleep(wait);
            }
            else
            {
                next = Stopwatch.GetTimestamp(); // fell behind: do not burst to catch up
            }
        }
    }

    private void KeepIfSlowest(double atSeconds, double milliseconds)
    {
        if (_slowestProbes.Count < SlowestProbesKept || milliseconds > _slowestProbes[^1].Milliseconds)
        {
            _slowestProbes.Add((atSeconds, milliseconds));
            _slowestProbes.Sort((left, right) => right.Milliseconds.CompareTo(left.Milliseconds));
            if (_slowestProbes.Count > SlowestProbesKept)
            {
                _slowestProbes.RemoveAt(SlowestProbesKept);
            }
        }
    }

    /// <summary>One slowloris connection: sends a byte when told, and notes when and how the server closed it.</summary>
    private sealed class HeldConnection(Socket socket, long openedAt)
    {
        private readonly byte[] _received = new byte[128];
        private int _sent;
        private long _closedAt;
        private volatile bool _closing;

        public long OpenedAt { get; } = openedAt;

        /// <summary>When the server closed it (a <see cref="Stopwatch"/> timestamp), or 0 while open.</summary>
        public long ClosedAt => Interlocked.Read(ref _closedAt);

        public bool WasReset { get; private set; }

        public int ReceivedCount { get; private set; }

        public string FirstLine
        {
            get
            {
                var text = Encoding.ASCII.GetString(_received, 0, ReceivedCount);
                var end = text.IndexOf('\r', StringComparison.Ordinal);
                return end >= 0 ? text[..end] : text;
            }
        }

        /// <summary>Sends the next byte of the endless line; false once the connection is gone.</summary>
        public bool SendNextByte()
        {
            if (ClosedAt != 0)
            {
                return false;
            }

            try
            {
                socket.Send(EndlessLine.AsSpan(_sent++ % EndlessLine.Length, 1));
                return true;
            }
            catch (SocketException)
            {
                MarkClosed(reset: true);
                return false;
            }
        }

        /// <summary>Waits, without a thread, for the server to close the connection (or send anything).</summary>
        public async Task WatchAsync()
        {
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(_received.AsMemory(Math.Min(ReceivedCount, _received.Length - 1)), SocketFlags.None);
                    if (read == 0)
                    {
                        MarkClosed(reset: false);
                        return;
                    }

                    ReceivedCount = Math.Min(_received.Length, ReceivedCount + read);
                }
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                if (!_closing)
                {
                    MarkClosed(reset: true);
                }
            }
        }

        /// <summary>True when the server has closed its side: readable, with nothing left to read (or an error).</summary>
        public bool PeerHasClosed()
        {
            try
            {
                return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return true;
            }
        }

        public void Close()
        {
            _closing = true;
            socket.Dispose();
        }

        private void MarkClosed(bool reset)
        {
            if (Interlocked.CompareExchange(ref _closedAt, Stopwatch.GetTimestamp(), 0) == 0)
            {
                WasReset = reset;
            }
        }
    }
}
