using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Hftp.Protocol;
using Serilog;
using Serilog.Events;

namespace Hftp.Server.Networking;

/// <summary>One client, served on its own thread from accept to close: receive bytes, frame requests (<see cref="RequestReader"/>),
/// answer each (<see cref="RequestExecutor"/>, which reads the files and writes into the <see cref="ReplyWriter"/>),
/// send the replies of one receive together, repeat. Every blocking call runs under a <see cref="SocketDeadline"/>
/// (idle, request and send timeouts). Its memory is bounded whatever the client sends: the receive buffer and reader
/// its thread lends it (<see cref="ConnectionScratch"/>); a large reply buffer only while a reply is being sent.</summary>
internal sealed class Connection
{
    // Where the connection is, for a graceful shutdown: blocked waiting for a request (it can be closed at once),
    // or answering (its reply is let finish); the draining phases say which of the two the shutdown found.
    private const int Waiting = 0;
    private const int Answering = 1;
    private const int DrainingWhileIdle = 2;
    private const int DrainingAfterReply = 3;

    // Bytes read per receive (a pipelined batch of 40 requests), on the thread's stack: 10,000 threads, 10 MB less heap.
    private const int ReceiveBufferSize = 1024;

    private readonly Socket _socket;
    private readonly ConnectionServices _services;
    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private static readonly TimeSpan HealthCheckWait = TimeSpan.FromMilliseconds(200); // a health check says "quit" well within it
    private readonly long _acceptedAt;
    private readonly ConnectionScratch _scratch;
    private readonly SocketError _earlyError;
    private volatile bool _stopping;
    private int _announced;
    private bool _isHealthCheck;
    private long _requestsServed;
    private int _phase = Waiting;

    /// <summary>Made on the accept thread, with the <paramref name="scratch"/> of the thread that will run it, so that nothing
    /// is allocated on the connection thread (see <see cref="ConnectionScratch"/> and architecture.md).</summary>
    public Connection(Socket socket, ConnectionScratch scratch, ConnectionServices services)
    {
        _socket = socket;
        _services = services;
        _options = services.Options;
        _logger = services.Logger;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        _acceptedAt = services.Time.GetTimestamp();
        _scratch = scratch.Reset(socket);
        scratch.Executor.Client = RemoteEndPoint;

        // A socket's first send or receive makes its SocketAsyncContext (224 bytes), through which even blocking calls
        // go: an empty send makes it here. It reports, and so clears, an error the client caused already (a reset).
        socket.Send(ReadOnlySpan<byte>.Empty, SocketFlags.None, out _earlyError);
    }

    /// <summary>The client: the socket's peer, or with a PROXY protocol header the client the proxy speaks for.</summary>
    public IPEndPoint? RemoteEndPoint { get; private set; }

    /// <summary>The proxy that sent a PROXY protocol header naming another client; null otherwise.</summary>
    public IPEndPoint? ProxyEndPoint { get; private set; }

    /// <summary>The deadline of the call the connection's thread is blocked in, which the server's heartbeat checks. Its thread's:
    /// once the connection ended, that of the thread's next connection (its check then serves that one).</summary>
    public SocketDeadline Deadline => _scratch.Deadline;

    /// <summary>Runs the connection to its end and says why it ended; never throws. Called on the connection's own thread.</summary>
    public CloseReason Run()
    {
        var started = _services.Time.GetTimestamp();
        var reason = CloseReason.NetworkError;
        string? networkError = null;
        try
        {
            reason = SetUpAndServe();
        }
        catch (TimeoutException) when (!_stopping)
        {
            reason = CloseReason.SendTimeout;
            _logger.Warning("{Remote} reads nothing: a send made no progress for {Seconds:0.###} s (send timeout), closing",
                RemoteEndPoint, _options.SendTimeout.TotalSeconds);

            // Reset rather than close, so the kernel drops the unsent reply at once instead of keeping it queued.
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or TimeoutException)
        {
            // A client that vanishes (reset, broken pipe) is routine: its closing line says so, without a stack trace.
            reason = _stopping ? CloseReason.ServerStopping : CloseReason.NetworkError;
            networkError = exception is SocketException && !_stopping ? exception.Message : null;
        }
        catch (Exception exception)
        {
            reason = CloseReason.ServerFault;
            _logger.Error(exception, "Unexpected failure serving {Remote}", RemoteEndPoint);
        }
        finally
        {
            _scratch.Writer.Close();
            _socket.Dispose();
        }

        var isHealthCheck = _isHealthCheck && _requestsServed == 1 && reason is CloseReason.Quit or CloseReason.NetworkError;
        ServerLog.Closed(_logger, isHealthCheck ? LogEventLevel.Debug : LogEventLevel.Information, RemoteEndPoint, reason, networkError,
            _requestsServed, _scratch.Writer.BytesSent, _services.Time.GetElapsedTime(started));
        return reason;
    }

    /// <summary>Starts a graceful shutdown: waiting for a request, close at once; answering, finish the reply first.</summary>
    public void BeginDrain()
    {
        // The connection's thread flips between the two meanwhile: try both until one holds or a drain began already.
        do
        {
            if (Interlocked.CompareExchange(ref _phase, DrainingWhileIdle, Waiting) == Waiting)
            {
                // Wakes the blocked receive, which then reads end of stream; nothing is being sent, so nothing is cut.
                SocketDeadline.TryShutdown(_socket, SocketShutdown.Receive);
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _phase, DrainingAfterReply, Answering) == Waiting);
    }

    /// <summary>On the heartbeat: a client silent since it connected is logged now (see <see cref="Announce"/>).</summary>
    public void AnnounceIfSilent(long now)
    {
        if (Volatile.Read(ref _announced) == 0 && _services.Time.GetElapsedTime(_acceptedAt, now) >= HealthCheckWait
            && Interlocked.Exchange(ref _announced, 1) == 0)
        {
            ServerLog.Connected(_logger, LogEventLevel.Information, RemoteEndPoint, ProxyEndPoint);
        }
    }

    /// <summary>Ends the connection from another thread: wakes a blocked receive or send.</summary>
    public void Stop()
    {
        _stopping = true;
        SocketDeadline.TryShutdown(_socket, SocketShutdown.Both);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into Run: a frame fewer for collections to walk on each thread
    private CloseReason SetUpAndServe()
    {
        if (_earlyError != SocketError.Success)
        {
            throw new SocketException((int)_earlyError);
        }

        _socket.NoDelay = true;
        _scratch.Writer.SetUnsentBytes(_options.UnsentBytes);

        IPEndPoint? source = null;
        string? failure = null;
        if (_options.ProxyProtocol && !ProxyHeader.TryRead(Deadline, _services, out source, out failure))
        {
            if (_stopping || Volatile.Read(ref _phase) >= DrainingWhileIdle)
            {
                return _stopping ? CloseReason.ServerStopping : DrainReason();
            }

            // Not our client speaking: close without an HFTP reply, which only the proxy would read.
            _logger.Warning("{Remote} sent {Error} (--proxy-protocol expects one first on every connection): closing without a reply",
                RemoteEndPoint, failure);
            CloseGracefully();
            return CloseReason.BadProxyHeader;
        }
        if (source is not null)
        {
            (ProxyEndPoint, RemoteEndPoint) = (RemoteEndPoint, source);
            _scratch.Executor.Client = source;
        }

        var reason = Serve();
        if (reason is not (CloseReason.ClientClosed or CloseReason.ServerStopping))
        {
            CloseGracefully();
        }

        return reason;
    }

    private CloseReason Serve()
    {
        // When the first byte of the unfinished request line arrived; 0 while no line is under way. The idle time
        // counts from the last reply handed to the kernel (from connecting, before the first).
        long lineStarted = 0;
        var idleSince = _acceptedAt;
        Span<byte> receiveBuffer = stackalloc byte[ReceiveBufferSize];
        while (true)
        {
            if (Interlocked.CompareExchange(ref _phase, Waiting, Answering) >= DrainingWhileIdle)
            {
                return DrainReason();
            }

            var received = Receive(receiveBuffer, lineStarted, idleSince);
            if (received < 0)
            {
                return TimedOut(lineStarted != 0);
            }

            var receivedAt = _services.Time.GetTimestamp();
            if (Interlocked.CompareExchange(ref _phase, Answering, Waiting) >= DrainingWhileIdle)
            {
                return DrainReason();
            }

            var input = receiveBuffer[..received];
            Announce(input);
            if (received == 0)
            {
                return _stopping ? CloseReason.ServerStopping : CloseReason.ClientClosed;
            }

            var lineEnded = false;
            _scratch.Executor.BeginBatch();
            while (_scratch.Reader.TryRead(input, out var consumed, out var request))
            {
                lineEnded = true;
                input = input[consumed..];
                if (Answer(request) is { } reason)
                {
                    _scratch.Writer.Flush();
                    return reason;
                }

                if (Volatile.Read(ref _phase) >= DrainingWhileIdle)
                {
                    // Shutting down: this reply goes out whole, the requests pipelined after it are not answered.
                    _scratch.Writer.Flush();
                    return DrainReason();
                }
            }

            // The reader kept the rest of the input as an unfinished line, if there was any rest.
            lineStarted = input.IsEmpty ? (lineEnded ? 0 : lineStarted) : (lineEnded || lineStarted == 0 ? receivedAt : lineStarted);

            // Replies to everything the client pipelined in this receive go out in one send.
            _scratch.Writer.Flush();
            idleSince = lineEnded ? _services.Time.GetTimestamp() : idleSince;
            _scratch.Writer.ReleaseBuffer();
        }
    }

    // The connected line, written once the client's first bytes tell a load balancer's health check (it connects,
    // says exactly "quit", and leaves, every few seconds: deploy/haproxy.cfg) from a client: the check's lines go to
    // Debug, so they do not drown the log at Information.
    private void Announce(ReadOnlySpan<byte> firstBytes)
    {
        if (Volatile.Read(ref _announced) == 0 && Interlocked.Exchange(ref _announced, 1) == 0)
        {
            _isHealthCheck = firstBytes.SequenceEqual("quit\r\n"u8);
            ServerLog.Connected(_logger, _isHealthCheck ? LogEventLevel.Debug : LogEventLevel.Information, RemoteEndPoint, ProxyEndPoint);
        }
    }

    // Receives request bytes under the idle timeout (no line under way) or the line's request timeout: a per-read
    // timeout alone would let a client that sends a byte just before each one hold the connection forever. -1: timed out.
    private int Receive(Span<byte> buffer, long lineStarted, long idleSince) => lineStarted == 0
        ? Deadline.Receive(buffer, Wait.NextRequest, _options.IdleTimeout, idleSince)
        : Deadline.Receive(buffer, Wait.RestOfLine, _options.RequestTimeout, lineStarted);

    private CloseReason? Answer(in Request request)
    {
        _requestsServed++;
        var started = _services.Time.GetTimestamp();
        var replyStart = _scratch.Writer.BytesWritten;
        var reason = _scratch.Executor.Answer(request);
        _services.Metrics.RequestAnswered(request, _scratch.Writer.LastStatus, _services.Time.GetElapsedTime(started));
        ServerLog.RequestAnswered(_logger, RemoteEndPoint, request, _scratch.Writer.LastStatus, _scratch.Writer.BytesWritten - replyStart);
        return reason;
    }

    private CloseReason TimedOut(bool lineUnderWay)
    {
        if (lineUnderWay)
        {
            _services.TimeoutReport.RequestTimedOut(RemoteEndPoint, _options.RequestTimeout);
            return CloseReason.RequestTimeout;
        }

        _services.TimeoutReport.IdleTimedOut(RemoteEndPoint, _options.IdleTimeout);
        return CloseReason.IdleTimeout;
    }

    private CloseReason DrainReason() =>
        Volatile.Read(ref _phase) == DrainingAfterReply ? CloseReason.ShutdownAfterReply : CloseReason.ShutdownWhileIdle;

    private void CloseGracefully() => Deadline.CloseGracefully(_options.LingerTime);
}
