using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Benchmark;

/// <summary>
/// <c>soak</c>: N clients, each a thread looping over a seeded random mix of valid, invalid, pipelined,
/// byte-at-a-time, fatal and quit exchanges (<see cref="SoakRequests"/>); every reply is compared byte for
/// byte with what PROTOCOL.md says, and after a fatal status or quit the server's close is checked before the
/// client reconnects. With <c>--server-pid</c> the server's threads and file descriptors must return to
/// where they were before the load.
/// </summary>
internal sealed class SoakLoad(LoadSettings settings, SoakSettings soak, TextWriter output)
{
    private const int MaxReportedProblems = 10;

    private readonly long[] _exchanges = new long[Enum.GetValues<SoakKind>().Length];
    private readonly object _problemsLock = new();
    private readonly List<string> _problems = [];
    private long _requests;
    private long _connections;
    private long _wrong;
    private long _errors;

    public int Run()
    {
        using var files = ServedFiles.Read(soak.Directory);
        var idle = settings.ServerPid is { } idlePid ? ServerResources.Read(idlePid) : (ServerResources?)null;
        CheckTheServerServesTheDirectory(files);
        // The setup connection's thread may still be ending: give it a moment, so it is not counted in the baseline.
        var baseline = settings.ServerPid is { } pid && idle is { } quiet
            ? ServerResources.WaitForBaseline(pid, quiet, tolerance: 0, TimeSpan.FromSeconds(2)).Last
            : (ServerResources?)null;
        var report = new LoadReport("soak", output);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"soak: {settings.Connections} clients for up to {settings.Duration.TotalSeconds:0} s (at most {soak.MaxRequests} exchanges each), seed {soak.Seed}, {files.Files.Count} files in {soak.Directory}"));

        using (var sampler = settings.ServerPid is { } sampled ? new ServerSampler(sampled) : null)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
            var started = Stopwatch.GetTimestamp();
            var clientIndex = -1;
            ConnectionThreads.Run(settings.Connections, () => Loop(files, new Random(soak.Seed + Interlocked.Increment(ref clientIndex)), deadline));
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"soak: {_requests} requests in {_exchanges.Sum()} exchanges over {_connections} connections in {seconds:0.00} s ({_requests / seconds:0} requests/s, {_connections / seconds:0} connections/s): {_wrong} wrong replies, {_errors} connection errors"));
            report.Line("exchanges by kind: " + string.Join(", ", Enum.GetValues<SoakKind>().Select(kind => $"{Key(kind)} {_exchanges[(int)kind]}")));
            _problems.ForEach(problem => report.Line("wrong: " + problem));
            report.Add("clients", settings.Connections);
            report.Add("seconds", seconds, "0.0");
            report.Add("seed", soak.Seed);
            report.Add("requests", _requests);
            report.Add("rps", _requests / seconds, "0");
            report.Add("connections", _connections);
            report.Add("connections_per_s", _connections / seconds, "0");
            foreach (var kind in Enum.GetValues<SoakKind>())
            {
                report.Add(Key(kind), _exchanges[(int)kind]);
            }

            report.Add("wrong", _wrong);
            report.Add("errors", _errors);
            report.AddServer(sampler);
        }

        var settled = true;
        if (settings.ServerPid is { } serverPid && baseline is { } before)
        {
            var (after, backToBaseline, waited) = ServerResources.WaitForBaseline(serverPid, before, soak.Tolerance, soak.SettleBound);
            settled = backToBaseline;
            var verdict = settled ? "back to baseline" : "NOT back to baseline";
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"server threads {before.Threads} before, {after.Threads} after; open fds {before.FileDescriptors} before, {after.FileDescriptors} after: {verdict} (+{soak.Tolerance}) after {waited.TotalSeconds:0.0} s"));
            report.Add("server_threads_start", before.Threads);
            report.Add("server_threads_end", after.Threads);
            report.Add("server_fds_start", before.FileDescriptors);
            report.Add("server_fds_end", after.FileDescriptors);
            report.Add("settled", settled ? "yes" : "no");
        }

        report.Finish();
        return _wrong == 0 && _errors == 0 && _requests > 0 && settled ? 0 : 1;
    }

    private static string Key(SoakKind kind) =>
        string.Concat(kind.ToString().Select((character, index) => char.IsUpper(character) && index > 0 ? "_" + char.ToLowerInvariant(character) : char.ToLowerInvariant(character).ToString()));

    // A wrong listing here is a setup mistake (another directory), not thousands of wrong replies later.
    private void CheckTheServerServesTheDirectory(ServedFiles files)
    {
        using var socket = Wire.Connect(settings.Host, settings.Port);
        socket.ReceiveTimeout = (int)soak.ReplyTimeout.TotalMilliseconds;
        Wire.SendAll(socket, Encoding.ASCII.GetBytes(Requests.GetFileListing + Requests.Quit));
        var problem = ExpectReply(socket, files.ListingReply, new byte[64 * 1024]);
        if (problem is not null)
        {
            throw new InvalidOperationException($"the server's listing differs from --dir {soak.Directory} ({problem}); is it the directory the server serves?");
        }

        // Quit and wait for the close, so the baseline below is not taken while this connection is still open.
        ExpectReply(socket, StatusCode.Ok.StatusLine().ToArray(), new byte[64]);
        ExpectClose(socket);
    }

    private void Loop(ServedFiles files, Random random, long deadline)
    {
        var requests = new SoakRequests(files, random);
        var buffer = new byte[64 * 1024];
        Socket? socket = null;
        try
        {
            for (var exchangeIndex = 0; exchangeIndex < soak.MaxRequests && Stopwatch.GetTimestamp() < deadline; exchangeIndex++)
            {
                var exchange = requests.Next();
                try
                {
                    socket ??= Connect();
                    Send(socket, exchange);
                    var problem = ExpectReply(socket, exchange.Reply, buffer);
                    if (problem is null && exchange.ServerCloses)
                    {
                        problem = ExpectClose(socket);
                    }

                    Interlocked.Increment(ref _exchanges[(int)exchange.Kind]);
                    Interlocked.Add(ref _requests, exchange.Requests);
                    if (problem is not null)
                    {
                        Interlocked.Increment(ref _wrong);
                        Remember($"{exchange.Kind} {Escape(exchange.Request, 80)}: {problem}");
                    }

                    if (problem is not null || exchange.ServerCloses)
                    {
                        // After a wrong reply the stream is out of step: start again on a new connection.
                        socket.Dispose();
                        socket = null;
                    }
                }
                catch (SocketException exception)
                {
                    Interlocked.Increment(ref _errors);
                    Remember($"{exchange.Kind} {Escape(exchange.Request, 80)}: {exception.SocketErrorCode} ({exception.Message})");
                    socket?.Dispose();
                    socket = null;
                }
            }
        }
        finally
        {
            socket?.Dispose();
        }
    }

    private Socket Connect()
    {
        var socket = Wire.Connect(settings.Host, settings.Port);
        socket.ReceiveTimeout = (int)soak.ReplyTimeout.TotalMilliseconds;
        socket.SendTimeout = (int)soak.ReplyTimeout.TotalMilliseconds;
        Interlocked.Increment(ref _connections);
        return socket;
    }

    private static void Send(Socket socket, SoakExchange exchange)
    {
        if (!exchange.ByteAtATime)
        {
            Wire.SendAll(socket, exchange.Request);
            return;
        }

        for (var index = 0; index < exchange.Request.Length; index++)
        {
            Wire.SendAll(socket, exchange.Request.AsSpan(index, 1));
        }
    }

    /// <summary>Reads exactly as many bytes as <paramref name="expected"/> holds; returns what differed, or null.</summary>
    private static string? ExpectReply(Socket socket, byte[] expected, byte[] buffer)
    {
        var position = 0;
        while (position < expected.Length)
        {
            int read;
            try
            {
                read = socket.Receive(buffer, 0, Math.Min(buffer.Length, expected.Length - position), SocketFlags.None);
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.TimedOut)
            {
                return $"no complete reply in time: {position} of {expected.Length} bytes";
            }

            if (read == 0)
            {
                return $"connection closed after {position} of {expected.Length} bytes";
            }

            var mismatch = buffer.AsSpan(0, read).CommonPrefixLength(expected.AsSpan(position, read));
            if (mismatch < read)
            {
                var at = position + mismatch;
                var start = Math.Max(0, mismatch - 20);
                return $"byte {at} differs: expected {Escape(expected.AsSpan(position + start, Math.Min(60, expected.Length - position - start)), 60)}, " +
                    $"got {Escape(buffer.AsSpan(start, read - start), 60)}";
            }

            position += read;
        }

        return null;
    }

    /// <summary>After a fatal status or quit: the next read must be a clean end of stream.</summary>
    private static string? ExpectClose(Socket socket)
    {
        var one = new byte[1];
        try
        {
            return socket.Receive(one) == 0 ? null : $"bytes after the closing reply: {Escape(one, 1)}";
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.TimedOut)
        {
            return "the server did not close the connection";
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "the connection was reset instead of closed";
        }
    }

    private void Remember(string problem)
    {
        lock (_problemsLock)
        {
            if (_problems.Count < MaxReportedProblems)
            {
                _problems.Add(problem);
            }
        }
    }

    private static string Escape(ReadOnlySpan<byte> bytes, int limit)
    {
        var text = new StringBuilder();
        foreach (var value in bytes[..Math.Min(limit, bytes.Length)])
        {
            text.Append(value switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                >= 0x20 and < 0x7F => ((char)value).ToString(),
                _ => $"\\x{value:X2}",
            });
        }

        return "\"" + text + (bytes.Length > limit ? "...\"" : "\"");
    }
}
