using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Hftp.Benchmark;

/// <summary>
/// <c>http-bulk</c>: the comparison point. Each connection loops HTTP/1.1 keep-alive GETs of one file (from
/// nginx, say) and counts body bytes, so MB/s compares with <c>bulk</c>'s decoded MB/s. Neither copies a body it
/// does not check (see <see cref="BulkLoad"/>).
/// </summary>
internal sealed class HttpBulkLoad(LoadSettings settings, string path, TextWriter output)
{
    private const int ReceiveBufferSize = 256 * 1024;

    private long _replies;
    private long _bodyBytes;
    private long _errors;

    public int Run()
    {
        var request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {settings.Host}\r\nConnection: keep-alive\r\n\r\n");
        var report = new LoadReport("http-bulk", output);
        using var sampler = settings.ServerPid is { } pid ? new ServerSampler(pid) : null;
        var deadline = Stopwatch.GetTimestamp() + (long)(settings.Duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        ConnectionThreads.Run(settings.Connections, () => Loop(request, deadline));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"http-bulk: GET {path} x {settings.Connections} connections for {seconds:0.00} s: {_replies} replies, {_errors} errors"));
        report.Line(string.Create(CultureInfo.InvariantCulture, $"throughput: {_bodyBytes / 1e6 / seconds:0.0} MB/s of body, {_replies / seconds:0.00} requests/s"));
        report.Add("mbps", _bodyBytes / 1e6 / seconds, "0.0");
        report.Add("rps", _replies / seconds, "0.00");
        report.Add("replies", _replies);
        report.Add("errors", _errors);
        report.AddServer(sampler);
        report.Finish();
        return _errors == 0 && _replies > 0 ? 0 : 1;
    }

    private void Loop(byte[] request, long deadline)
    {
        var buffer = new byte[ReceiveBufferSize];
        try
        {
            using var socket = Wire.Connect(settings.Host, settings.Port);
            var carried = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                Wire.SendAll(socket, request);
                var (headerEnd, contentLength) = ReadHeaders(socket, buffer, ref carried);
                var remaining = contentLength - (carried - headerEnd);
                while (remaining > 0)
                {
                    // Nothing looks at the body: the kernel drops it (MSG_TRUNC) instead of copying it here, or this
                    // process's copying, not the server, would set the pace against a sendfile server.
                    var read = socket.Receive(buffer, 0, (int)Math.Min(buffer.Length, remaining), System.Net.Sockets.SocketFlags.Truncated);
                    if (read == 0)
                    {
                        throw new IOException("The server closed the connection mid-body");
                    }

                    remaining -= read;
                }

                carried = 0;
                Interlocked.Increment(ref _replies);
                Interlocked.Add(ref _bodyBytes, contentLength);
            }
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            Interlocked.Increment(ref _errors);
            output.WriteLine($"error: {exception.Message}");
        }
    }

    private static (int HeaderEnd, long ContentLength) ReadHeaders(System.Net.Sockets.Socket socket, byte[] buffer, ref int filled)
    {
        while (true)
        {
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                var headers = Encoding.ASCII.GetString(buffer, 0, end);
                if (!headers.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"HTTP status: {headers.Split('\r')[0]}");
                }

                var lengthLine = headers.Split("\r\n").FirstOrDefault(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    ?? throw new InvalidDataException("no Content-Length");
                return (end + 4, long.Parse(lengthLine.AsSpan(15).Trim(), CultureInfo.InvariantCulture));
            }

            var read = socket.Receive(buffer, filled, buffer.Length - filled, System.Net.Sockets.SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("The server closed the connection");
            }

            filled += read;
        }
    }
}
