using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hftp.Server.Limits;
using Serilog;

namespace Hftp.Server;

/// <summary>Serves the metrics as Prometheus text at <c>http://ADDRESS:PORT/metrics</c>. A few threads of its own serve
/// one scrape each, so it holds at most <see cref="MaxConnections"/> of the descriptors the connection cap keeps in
/// reserve; more scrapers wait in the backlog. A scrape gets <see cref="DefaultTimeout"/> to send its request and to
/// read the reply. Running out of descriptors is logged (throttled) and retried, never fatal.</summary>
internal sealed class MetricsEndpoint : IDisposable
{
    public const string Path = "/metrics";

    /// <summary>Scrapes served at once; Prometheus sends one at a time, so a few spare for curl or a second scraper.</summary>
    public const int MaxConnections = 4;

    /// <summary>How long a scraper may take to send its request, and then to read the reply, before it is closed.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private const int MaxRequestHead = 8 * 1024;
    private const int ListenBacklog = 64;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan BackOffTime = TimeSpan.FromMilliseconds(100);

    private readonly Socket _listener;
    private readonly ServerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Thread[] _workers = new Thread[MaxConnections];
    private readonly WarningThrottle _acceptFailures = new(TimeSpan.FromSeconds(10), TimeProvider.System);
    private readonly TimeSpan _timeout;
    private volatile bool _stopping;

    /// <summary>Starts listening, with the request and send timeout given (tests shorten it) or
    /// <see cref="DefaultTimeout"/>; throws <see cref="SocketException"/> when the address cannot be bound.</summary>
    public MetricsEndpoint(IPEndPoint endPoint, ServerMetrics metrics, ILogger logger, TimeSpan? timeout = null)
    {
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(endPoint);
            _listener.Listen(ListenBacklog);
            _listener.Blocking = false;
        }
        catch (SocketException)
        {
            _listener.Dispose();
            throw;
        }

        _logger = logger;
        _timeout = timeout ?? DefaultTimeout;
        _metrics = metrics;
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        for (var index = 0; index < MaxConnections; index++)
        {
            _workers[index] = new Thread(Serve, 256 * 1024) { IsBackground = true, Name = $"hftp-metrics-{index}" };
            _workers[index].Start();
        }
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The scrape address, e.g. <c>http://127.0.0.1:9464/metrics</c>.</summary>
    public Uri Uri => new($"http://{EndPoint}{Path}");

    public void Dispose()
    {
        _stopping = true;
        foreach (var worker in _workers)
        {
            worker?.Join();
        }

        _listener.Dispose();
    }

    private void Serve()
    {
        var head = new byte[MaxRequestHead];
        while (!_stopping)
        {
            Socket? client;
            try
            {
                if (!_listener.Poll(PollInterval, SelectMode.SelectRead))
                {
                    continue;
                }

                client = _listener.Accept();
            }
            catch (SocketException exception) when (exception.SocketErrorCode == SocketError.WouldBlock)
            {
                continue; // another worker took it
            }
            catch (SocketException exception) when (!_stopping)
            {
                // Out of descriptors (EMFILE, ENFILE) or buffers: the scraper waits in the backlog; try again soon.
                if (_acceptFailures.Record(out var failures))
                {
                    _logger.Warning("Metrics endpoint cannot accept a scrape: {Error} ({Count} times in the last 10 s); retrying",
                        exception.Message, failures);
                }

                Thread.Sleep(BackOffTime);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            using (client)
            {
                TryAnswer(client, head);
            }
        }
    }

    private void TryAnswer(Socket client, byte[] head)
    {
        try
        {
            client.Blocking = true;
            client.SendTimeout = (int)_timeout.TotalMilliseconds;
            var length = ReadHead(client, head, _timeout);
            if (length < 0)
            {
                return;
            }

            var (status, body, headOnly) = Answer(Encoding.ASCII.GetString(head, 0, length));
            var header = Encoding.ASCII.GetBytes(
                $"HTTP/1.1 {status}\r\nContent-Type: {(status.StartsWith("200", StringComparison.Ordinal) ? ServerMetrics.ContentType : "text/plain; charset=utf-8")}\r\n"
                + $"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            client.Send(header);
            if (!headOnly)
            {
                client.Send(body);
            }

            client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The scraper left or stalled past the timeouts: nothing to answer.
        }
    }

    // The request head, up to its blank line, read within the request timeout as a whole; -1 when it never came.
    private static int ReadHead(Socket client, byte[] head, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var length = 0;
        while (length < head.Length)
        {
            var left = timeout - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero || !client.Poll(left, SelectMode.SelectRead))
            {
                return -1;
            }

            var received = client.Receive(head, length, head.Length - length, SocketFlags.None);
            if (received == 0)
            {
                return -1;
            }

            length += received;
            if (head.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0 || head.AsSpan(0, length).IndexOf("\n\n"u8) >= 0)
            {
                return length;
            }
        }

        return length;
    }

    private (string Status, byte[] Body, bool HeadOnly) Answer(string head)
    {
        // The request line: METHOD TARGET HTTP/1.x
        var parts = head[..Math.Max(0, head.IndexOf('\n', StringComparison.Ordinal))].TrimEnd('\r').Split(' ');
        if (parts is not [var method, var target, var version] || !version.StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return ("400 Bad Request", "Bad request\n"u8.ToArray(), false);
        }

        if (target.Split('?')[0] != Path)
        {
            return ("404 Not Found", Encoding.ASCII.GetBytes($"Metrics are at {Path}\n"), false);
        }

        return method switch
        {
            "GET" or "HEAD" => ("200 OK", _metrics.PrometheusText(), method == "HEAD"),
            _ => ("405 Method Not Allowed", "GET or HEAD only\n"u8.ToArray(), false),
        };
    }
}
