using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Server.Files;
using Serilog;
using Serilog.Events;

namespace Hftp.Server.Networking;

/// <summary>
/// One client, served on its own thread: the loop that receives bytes, frames requests, has each answered by its
/// <see cref="RequestExecutor"/>, sends the replies, enforces the timeouts and closes. Its memory is bounded whatever
/// the client sends: a receive buffer while bytes are read, the framing state of its thread, and a reply buffer that
/// grows only for the length of a slice. Waiting for a request it holds neither buffer.
/// </summary>
internal sealed class Connection
{
    public const int ReceiveBufferSize = 4 * 1024;

    /// <summary>Receive buffers kept for reuse: more than connections ever read at the same instant on a few cores.</summary>
    public const int ReceiveBuffersRetained = 256;

    /// <summary>
    /// Every connection's receive buffer, taken once the socket has bytes to read and given back before waiting
    /// again: an idle connection holds none. Not ArrayPool.Shared, which keeps a buffer per thread that used one.
    /// </summary>
    // How long a client that was just answered is waited for with a receive buffer in hand (see TryReceiveWhileConversing).
    private static readonly TimeSpan ConversationWait = TimeSpan.FromMilliseconds(20);

    public static readonly ReplyBufferPool ReceiveBuffers = new(ReceiveBufferSize, ReceiveBuffersRetained);

    // Long enough for a client to read our last reply and close; short enough that a client that keeps
    // sending cannot hold the thread.
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(1);

    // How long a new connection's first bytes are awaited to tell a load balancer's health check (it connects, says
    // quit, and leaves at once) from a client; a client that is slower to speak is simply logged a moment later.
    private static readonly TimeSpan HealthCheckWait = TimeSpan.FromMilliseconds(200);

    // The one request a health check sends, as Hftp.Protocol formats it.
    private static readonly int QuitRequestLength = Command.Quit.Utf8Name().Length + Syntax.LineTerminator.Length;

    // Where the connection is, for a graceful shutdown: blocked waiting for a request (it can be closed at once),
    // or answering (its reply is let finish); the draining phases say which of the two the shutdown found.
    private const int Waiting = 0;
    private const int Answering = 1;
    private const int DrainingWhileIdle = 2;
    private const int DrainingAfterReply = 3;

    private static long _ended;

    private readonly ClientSocket _socket;
    private readonly ILogger _logger;
    private readonly RequestReader _reader;
    private readonly ReplyWriter _writer;
    private readonly RequestExecutor _executor;
    private readonly ConnectionTimeouts _timeouts;
    private readonly bool _expectProxyHeader;
    private readonly TimeoutReport? _timeoutReport;
    private volatile bool _stopping;
    private long _requestsServed;
    private int _phase = Waiting;
    private int _receiveTimeoutMilliseconds;
    private bool _holdsReceiveBuffer;

    // Whether this client asks again within ConversationWait of a reply: learned from its last wait.
    private bool _conversing = true;
    private bool _isHealthCheck;

    /// <summary>
    /// A connection thread's connection, served with <paramref name="parts"/> (the thread's own, so they must not be
    /// shared by connections alive at once): each client the thread serves in turn is accepted into its socket
    /// (<see cref="Accept"/>) and run (<see cref="Run"/>) by this one object.
    /// </summary>
    public Connection(
        ConnectionParts parts, ILogger logger, ConnectionTimeouts? timeouts = null, bool expectProxyHeader = false,
        TimeoutReport? timeoutReport = null, ServerMetrics? metrics = null)
    {
        _timeoutReport = timeoutReport;
        _expectProxyHeader = expectProxyHeader;
        _timeouts = timeouts ?? ConnectionTimeouts.None;
        _socket = parts.Socket;
        _logger = logger;
        _reader = parts.Reader;
        _writer = parts.Writer;
        _executor = parts.Executor;
        Metrics = metrics;
    }

    /// <summary>Connections ended in this process so far: each leaves a thread's and a socket's state to reclaim.</summary>
    public static long EndedCount => Interlocked.Read(ref _ended);

    /// <summary>The client: the socket's peer, or with a PROXY protocol header the client the proxy speaks for.</summary>
    public IPEndPoint? RemoteEndPoint => _socket.RemoteEndPoint;

    /// <summary>The proxy that sent a PROXY protocol header naming another client; null otherwise.</summary>
    public IPEndPoint? ProxyEndPoint => _socket.ProxyEndPoint;

    /// <summary>Where requests and sent bytes are counted.</summary>
    public ServerMetrics? Metrics { get; }

    /// <summary>
    /// Waits for the next client of <paramref name="listener"/> and makes it this connection's; allocates nothing on
    /// Linux. Called on the accept thread while the connection's own thread waits for it. Returns the error if none
    /// could be accepted.
    /// </summary>
    public SocketError Accept(Socket listener)
    {
        var error = _socket.Accept(listener);
        if (error != SocketError.Success)
        {
            return error;
        }

        _stopping = false;
        _requestsServed = 0;
        Volatile.Write(ref _phase, Waiting);
        _receiveTimeoutMilliseconds = 0;
        _conversing = true;
        _isHealthCheck = false;
        return SocketError.Success;
    }

    /// <summary>Runs the connection to its end and says why it ended; never throws. Called on the connection's own thread.</summary>
    public CloseReason Run()
    {
        var started = Stopwatch.GetTimestamp();
        var reason = CloseReason.NetworkError;
        string? networkError = null;
        try
        {
            SetUp();
            if (_expectProxyHeader && !TryReadProxyHeader(out reason))
            {
                if (reason == CloseReason.BadProxyHeader)
                {
                    CloseGracefully();
                }

                return reason;
            }

            LogConnected();
            reason = Serve();
            if (reason is not (CloseReason.ClientClosed or CloseReason.ServerStopping))
            {
                CloseGracefully();
            }
        }
        catch (SocketException exception) when (IsTimeout(exception) && !_stopping && SendTimedOut())
        {
            reason = CloseReason.SendTimeout;
            ServerLog.SendTimedOut(_logger, RemoteEndPoint, _timeouts.Send);

            // Reset rather than close, so the kernel drops the unsent reply at once instead of keeping it queued.
            _socket.ResetOnClose();
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // A client that vanishes (reset, broken pipe) is routine: its closing line says so, without a stack trace.
            reason = _stopping ? CloseReason.ServerStopping : CloseReason.NetworkError;
            networkError = exception is SocketException && !_stopping ? exception.Message : null;
        }
        catch (Exception exception)
        {
            reason = CloseReason.ServerFault;
            ServerLog.UnexpectedFailure(_logger, exception, RemoteEndPoint);
        }
        finally
        {
            _writer.Dispose();
            _socket.Close();
            LogClosed(reason, networkError, Stopwatch.GetElapsedTime(started));
            Interlocked.Increment(ref _ended);
        }

        return reason;
    }

    /// <summary>
    /// Starts a graceful shutdown from another thread: a connection waiting for a request is closed at once; one
    /// answering finishes the reply under way, then closes. <see cref="Stop"/> later cuts whatever is left.
    /// </summary>
    public void BeginDrain()
    {
        while (true)
        {
            var phase = Volatile.Read(ref _phase);
            if (phase >= DrainingWhileIdle)
            {
                return;
            }

            var draining = phase == Waiting ? DrainingWhileIdle : DrainingAfterReply;
            if (Interlocked.CompareExchange(ref _phase, draining, phase) != phase)
            {
                continue;
            }

            if (draining == DrainingWhileIdle)
            {
                // Wakes the blocked receive, which then reads end of stream; nothing is being sent, so nothing is cut.
                _socket.TryShutdown(SocketShutdown.Receive);
            }

            return;
        }
    }

    /// <summary>Ends the connection from another thread: wakes a blocked receive or send.</summary>
    public void Stop()
    {
        _stopping = true;
        _socket.TryShutdown(SocketShutdown.Both);
    }

    // On the connection's own thread, not the accept loop's: what the client's socket needs before it is served.
    private void SetUp()
    {
        _reader.Reset();
        _writer.Attach(_socket);
        _writer.Metrics = Metrics;
        _socket.DisableNagle();

        // A blocking send that moves no byte for this long fails: the client is not reading.
        _socket.SetSendTimeout(ConnectionTimeouts.ToSocketMilliseconds(_timeouts.Send));
        LimitUnsentBytes(_socket);
    }

    private CloseReason Serve()
    {
        // When the first byte of the unfinished request line arrived; 0 while no line is under way.
        long lineStarted = 0;
        _writer.SendTimeout = _timeouts.Send;
        while (true)
        {
            if (Interlocked.CompareExchange(ref _phase, Waiting, Answering) >= DrainingWhileIdle)
            {
                return DrainReason();
            }

            var waitStarted = Stopwatch.GetTimestamp();
            var receiveBuffer = RentReceiveBuffer();
            try
            {
                if (lineStarted != 0 || _requestsServed == 0 || !_conversing || !TryReceiveWhileConversing(receiveBuffer, out var received))
                {
                    // Nothing to hold while the client is silent: the buffer goes back until there are bytes to read.
                    ReturnReceiveBuffer(receiveBuffer);
                    receiveBuffer = null;
                    if (!WaitForRequestBytes(lineStarted, waitStarted))
                    {
                        return TimedOut(lineStarted);
                    }

                    _conversing = Stopwatch.GetElapsedTime(waitStarted) < ConversationWait;

                    receiveBuffer = RentReceiveBuffer();
                    received = _socket.Receive(receiveBuffer);
                }

                if (ServeReceived(receiveBuffer.AsSpan(0, received), ref lineStarted) is { } reason)
                {
                    return reason;
                }
            }
            finally
            {
                if (receiveBuffer is not null)
                {
                    ReturnReceiveBuffer(receiveBuffer);
                }
            }
        }
    }

    // Answers the requests the bytes just received complete (an empty input is the client's end of stream); null
    // when the connection goes on.
    private CloseReason? ServeReceived(ReadOnlySpan<byte> input, ref long lineStarted)
    {
        var received = input.Length;
        var receivedAt = Stopwatch.GetTimestamp();
        _executor.BeginBatch();
        if (Interlocked.CompareExchange(ref _phase, Answering, Waiting) >= DrainingWhileIdle)
        {
            return DrainReason();
        }

        if (received == 0)
        {
            return _stopping ? CloseReason.ServerStopping : CloseReason.ClientClosed;
        }

        var lineEnded = false;
        while (_reader.TryRead(input, out var consumed, out var request))
        {
            lineEnded = true;
            input = input[consumed..];
            if (Answer(request) is { } reason)
            {
                _writer.Flush();
                return reason;
            }

            if (Volatile.Read(ref _phase) >= DrainingWhileIdle)
            {
                // Shutting down: this reply goes out whole, the requests pipelined after it are not answered.
                _writer.Flush();
                return DrainReason();
            }
        }

        // The reader took the rest of the input into an unfinished line, if there was any rest.
        if (input.IsEmpty)
        {
            lineStarted = lineEnded ? 0 : lineStarted;
        }
        else if (lineEnded || lineStarted == 0)
        {
            lineStarted = receivedAt;
        }

        // Replies to everything the client pipelined in this read go out in one send.
        _writer.Flush();
        _writer.ReleaseIfEmpty();
        return null;
    }

    // Waits for request bytes until the idle deadline (no line under way) or the line's deadline: a per-read
    // timeout alone would let a client that sends a byte just before each one hold the connection forever. Polls
    // rather than blocking in a receive: no buffer is held while waiting, and a timeout costs no exception (ten
    // thousand connections timing out together threw ten thousand).
    private bool WaitForRequestBytes(long lineStarted, long waitStarted)
    {
        while (true)
        {
            var timeout = lineStarted == 0 ? RemainingOf(_timeouts.Idle, waitStarted) : RemainingOf(_timeouts.Request, lineStarted);
            if (timeout == Timeout.InfiniteTimeSpan)
            {
                return _socket.Poll(-1, SelectMode.SelectRead);
            }

            if (timeout <= TimeSpan.Zero)
            {
                return false;
            }

            // Poll takes at most int.MaxValue microseconds (35 minutes; a longer timeout polls again) and waits whole
            // milliseconds, rounded down: rounded up here, so it never wakes just before the deadline and spins.
            var microseconds = (int)Math.Clamp(Math.Ceiling(timeout.TotalMilliseconds) * 1000, 1000, int.MaxValue);
            if (_socket.Poll(microseconds, SelectMode.SelectRead))
            {
                return true;
            }
        }
    }

    /// <summary>Whether the connection has a receive buffer in hand (while reading, or briefly waiting for a client in conversation).</summary>
    public bool HoldsReceiveBuffer => Volatile.Read(ref _holdsReceiveBuffer);

    private byte[] RentReceiveBuffer()
    {
        Volatile.Write(ref _holdsReceiveBuffer, true);
        return ReceiveBuffers.Rent();
    }

    private void ReturnReceiveBuffer(byte[] buffer)
    {
        ReceiveBuffers.Return(buffer);
        Volatile.Write(ref _holdsReceiveBuffer, false);
    }

    // A client in conversation asks again within moments of its reply: for that moment it is waited for in a blocking
    // receive with the buffer at hand, one system call per request instead of a poll and a receive. A silent client
    // gives the buffer back after ConversationWait, so idle connections still hold none; new connections (and
    // slowloris lines under way) go straight to the poll. So does a client that did not come back within that moment
    // last time, until it does again: among thousands of connections each asks again only once the others were
    // answered, and the wait only added a timer wake-up to every request.
    private bool TryReceiveWhileConversing(byte[] buffer, out int received)
    {
        var wait = _timeouts.Idle != Timeout.InfiniteTimeSpan && _timeouts.Idle < ConversationWait ? _timeouts.Idle : ConversationWait;
        SetReceiveTimeout(Math.Max(1, (int)wait.TotalMilliseconds));
        received = _socket.Receive(buffer, peek: false, out var error);
        switch (error)
        {
            case SocketError.Success:
                return true;
            case SocketError.TimedOut or SocketError.WouldBlock:
                return false;
            default:
                throw new SocketException((int)error);
        }
    }

    private CloseReason TimedOut(long lineStarted)
    {
        if (lineStarted == 0)
        {
            if (_timeoutReport is null)
            {
                ServerLog.IdleTimedOut(_logger, RemoteEndPoint, _timeouts.Idle);
            }
            else
            {
                _timeoutReport.IdleTimedOut(_socket, _timeouts.Idle);
            }

            return CloseReason.IdleTimeout;
        }

        if (_timeoutReport is null)
        {
            ServerLog.RequestTimedOut(_logger, RemoteEndPoint, _timeouts.Request);
        }
        else
        {
            _timeoutReport.RequestTimedOut(_socket, _timeouts.Request);
        }

        return CloseReason.RequestTimeout;
    }

    private CloseReason DrainReason() =>
        Volatile.Read(ref _phase) == DrainingAfterReply ? CloseReason.ShutdownAfterReply : CloseReason.ShutdownWhileIdle;

    private static TimeSpan RemainingOf(TimeSpan timeout, long since) =>
        timeout == Timeout.InfiniteTimeSpan ? timeout : timeout - Stopwatch.GetElapsedTime(since);

    // A setsockopt per change, not per receive: between requests the value is the same each time.
    private void SetReceiveTimeout(int milliseconds)
    {
        if (milliseconds != _receiveTimeoutMilliseconds)
        {
            _socket.SetReceiveTimeout(milliseconds);
            _receiveTimeoutMilliseconds = milliseconds;
        }
    }

    // A blocked send moves again only once the kernel's send queue has drained by half, and on loopback that queue
    // grows to megabytes: a client reading slowly but steadily (the course's client reads 4 KiB at a time) then
    // leaves a send blocked for minutes and is cut by the send timeout. Keeping at most two send chunks unsent in the
    // kernel lets a blocked send move every 64 KiB the client reads (and holds less kernel memory per client).
    private static void LimitUnsentBytes(ClientSocket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            socket.SetTcpOption(ReplyWriter.TcpNotSentLowWaterOption, ReplyWriter.UnsentBytes);
        }
    }

    // A client that resets mid-reply can fail a blocked send with a timeout error too; only a send stalled for the
    // whole send timeout is one.
    private bool SendTimedOut() =>
        _timeouts.Send != Timeout.InfiniteTimeSpan && _writer.SendStalledFor >= _timeouts.Send * 0.9;

    private static bool IsTimeout(SocketException exception) =>
        exception.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock;

    private CloseReason? Answer(in Request request)
    {
        _requestsServed++;
        var started = Stopwatch.GetTimestamp();
        var replyStart = _writer.BytesWritten;
        var reason = _executor.Answer(request);
        Metrics?.RequestAnswered(request, _writer.LastStatus, started);
        ServerLog.RequestAnswered(_logger, _socket, request, _writer.LastStatus, _writer.BytesWritten - replyStart);
        return reason;
    }

    private void LogClosed(CloseReason reason, string? networkError, TimeSpan duration)
    {
        // A health check's only request was quit; HAProxy then resets rather than closes, which is no news either.
        var level = _isHealthCheck && _requestsServed == 1 && reason is CloseReason.Quit or CloseReason.NetworkError
            ? LogEventLevel.Debug : LogEventLevel.Information;
        ServerLog.Closed(_logger, level, _socket, reason, networkError, _requestsServed, _writer.BytesSent, duration);
    }

    // A health check (deploy/haproxy.cfg: connect, "quit", expect "0 OK") every few seconds per backend would drown
    // the log at Information, so a connection whose first bytes are exactly "quit\r\n" is logged at Debug. The bytes
    // are peeked, not read: Serve reads and answers them as usual.
    private void LogConnected()
    {
        // Below Information nothing is logged here, and telling a health check apart is not worth a wait.
        if (!_logger.IsEnabled(LogEventLevel.Information))
        {
            return;
        }

        try
        {
            if (_socket.Poll((int)HealthCheckWait.TotalMicroseconds, SelectMode.SelectRead))
            {
                Span<byte> quit = stackalloc byte[QuitRequestLength];
                Requests.TryWrite(Command.Quit, quit, out _);
                Span<byte> buffer = stackalloc byte[QuitRequestLength];
                var peeked = _socket.Receive(buffer, peek: true, out var error);
                _isHealthCheck = error == SocketError.Success && buffer[..peeked].SequenceEqual(quit);
            }
        }
        catch (SocketException)
        {
            // Reset already: Serve meets the same error and the closing line names it.
        }

        var level = _isHealthCheck ? LogEventLevel.Debug : LogEventLevel.Information;
        ServerLog.Connected(_logger, level, RemoteEndPoint, ProxyEndPoint);
    }

    // --proxy-protocol: the connection comes from a load balancer and starts with a header naming the real client.
    // Read exactly as many bytes as the header can still need, so the client's first request stays in the socket for
    // Serve. Anything else is not our client speaking: close without an HFTP reply, which only the proxy would read.
    private bool TryReadProxyHeader(out CloseReason reason)
    {
        var buffer = ReceiveBuffers.Rent();
        try
        {
            return TryReadProxyHeader(buffer, out reason);
        }
        finally
        {
            ReceiveBuffers.Return(buffer);
        }
    }

    private bool TryReadProxyHeader(byte[] buffer, out CloseReason reason)
    {
        var started = Stopwatch.GetTimestamp();
        var received = 0;
        while (true)
        {
            var result = ProxyHeader.Parse(buffer.AsSpan(0, received));
            if (result.Status == ProxyHeaderStatus.Complete)
            {
                if (result.Source is { } source)
                {
                    _socket.SpeakFor(source);
                }

                reason = CloseReason.Quit;
                return true;
            }

            var error = result.Error;
            if (result.Status == ProxyHeaderStatus.Incomplete)
            {
                var timeout = RemainingOf(_timeouts.Request, started);
                if (timeout > TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan)
                {
                    SetReceiveTimeout(ConnectionTimeouts.ToSocketMilliseconds(timeout));
                    try
                    {
                        var count = _socket.Receive(buffer.AsSpan(received, result.BytesNeeded));
                        if (count > 0)
                        {
                            received += count;
                            continue;
                        }

                        if (_stopping || Volatile.Read(ref _phase) >= DrainingWhileIdle)
                        {
                            reason = _stopping ? CloseReason.ServerStopping : DrainReason();
                            return false;
                        }

                        error = "no complete PROXY protocol header before closing";
                    }
                    catch (SocketException exception) when (IsTimeout(exception))
                    {
                        error = "no complete PROXY protocol header within the request timeout";
                    }
                }
                else
                {
                    error = "no complete PROXY protocol header within the request timeout";
                }
            }

            ServerLog.BadProxyHeader(_logger, RemoteEndPoint, error);
            reason = CloseReason.BadProxyHeader;
            return false;
        }
    }

    // Send side first, so the client reads our last reply and then a clean end of stream; then read what
    // it still sends for a moment, because closing with unread data would reset the connection instead.
    private void CloseGracefully()
    {
        Span<byte> scratch = stackalloc byte[512];
        _socket.Shutdown(SocketShutdown.Send);
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainTime.TotalSeconds * Stopwatch.Frequency);
        while (!_stopping)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            // The error overload: a client that neither sends nor closes times out here, and an exception per such
            // client is an allocation (a collection's budget) and a stack trace for nothing.
            SetReceiveTimeout(ConnectionTimeouts.ToSocketMilliseconds(remaining));
            if (_socket.Receive(scratch, peek: false, out var error) == 0 || error != SocketError.Success)
            {
                return;
            }
        }
    }
}
