using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using Hftp.Protocol;

namespace Hftp.Server.Networking;

/// <summary>
/// Buffers replies and sends them in as few syscalls as it can: pipelined replies go out together when the
/// connection runs out of requests to answer. Its buffer is taken only while there is something to send, so an
/// idle connection holds none: a small one for short replies, and one large buffer from <see cref="LargeBuffers"/>
/// for a listing, a batch of pipelined replies or a slice, which it fills and sends in turn.
/// <para>
/// More than <see cref="SendChunkSize"/> buffered goes out in non-blocking sends of all that is left, each taking
/// what the kernel has room for, with a wait for writability between them: few system calls per megabyte, and the
/// send timeout stays a limit on a pause (no byte accepted for that long), never on the whole reply.
/// </para>
/// </summary>
internal sealed class ReplyWriter : IDisposable
{
    public const int SmallBufferSize = 4 * 1024;

    /// <summary>The large buffer's size: a slice's raw bytes are read into it and encoded in place (<see cref="SliceWriter"/>).</summary>
    public const int SendAreaSize = 256 * 1024;

    /// <summary>
    /// Most bytes a blocking send is given, and half the unsent bytes the kernel keeps (TCP_NOTSENT_LOWAT): a client
    /// must read this much within the send timeout, not the megabytes of a loopback send queue. Replies of at most
    /// this size go out in one blocking send; longer ones in non-blocking sends.
    /// </summary>
    public const int SendChunkSize = 64 * 1024;

    /// <summary>Large buffers kept for reuse; a burst beyond this allocates, and the extra buffers are dropped after it.</summary>
    public const int LargeBuffersRetained = 16;

    /// <summary>
    /// The small buffers of every connection, taken for a short reply and given back once it is sent. Not
    /// ArrayPool.Shared, which keeps the buffer a thread used last in that thread: with a thread per connection, one
    /// per connection ever served.
    /// </summary>
    public static readonly ReplyBufferPool SmallBuffers = new(SmallBufferSize, 256);

    /// <summary>The large buffers of every connection in the process: one per connection that is sending something large.</summary>
    public static readonly ReplyBufferPool LargeBuffers = new(SendAreaSize, LargeBuffersRetained);

    private ClientSocket _socket = null!;
    private byte[] _buffer = [];
    private bool _isLarge;
    private int _capacity;
    private int _length;
    private int _replyStart;
    private bool _replyPartlySent;
    private long _lastSendProgress;

    public long BytesSent { get; private set; }

    /// <summary>Whether <see cref="TrySendFile"/> can be used on this connection's socket.</summary>
    public bool CanSendFile => _socket.CanSendFile;

    /// <summary>Where sent bytes are counted, as they reach the socket.</summary>
    public ServerMetrics? Metrics { get; set; }

    /// <summary>How long the send under way has moved no byte: a failed send is a send timeout only after that long.</summary>
    public TimeSpan SendStalledFor => Stopwatch.GetElapsedTime(_lastSendProgress);

    /// <summary>Every reply byte so far, sent or still buffered: the difference across a request is its reply's size.</summary>
    public long BytesWritten => BytesSent + _length;

    /// <summary>The status of the reply written last: what a request was answered.</summary>
    public StatusCode LastStatus { get; private set; }

    /// <summary>True once any byte of the current reply reached the socket: it can no longer be taken back.</summary>
    public bool ReplyPartlySent => _replyPartlySent;

    /// <summary>
    /// How long a send may go without the client taking a byte (the connection's send timeout);
    /// <see cref="Timeout.InfiniteTimeSpan"/> for no limit.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Starts writing to the next connection's <paramref name="socket"/>: a writer belongs to a connection thread and
    /// serves each of its connections in turn, so accepting one allocates no writer.
    /// </summary>
    public void Attach(ClientSocket socket)
    {
        _socket = socket;
        _length = _replyStart = 0;
        _replyPartlySent = false;
        _lastSendProgress = 0;
        BytesSent = 0;
        LastStatus = default;
        Metrics = null;
        SendTimeout = Timeout.InfiniteTimeSpan;
    }

    /// <summary>Marks where the next reply starts, so it can be retracted while none of it has been sent.</summary>
    public void BeginReply()
    {
        _replyStart = _length;
        _replyPartlySent = false;
    }

    /// <summary>Drops what the current reply buffered (e.g. a <c>0 OK</c> whose body then failed to read).</summary>
    public void RetractReply()
    {
        if (!_replyPartlySent)
        {
            _length = _replyStart;
        }
    }

    public void WriteStatus(StatusCode status)
    {
        LastStatus = status;
        Write(status.StatusLine());
    }

    public void WriteLine(long number)
    {
        var span = GetSpan(20 + Syntax.LineTerminator.Length);
        number.TryFormat(span, out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        Syntax.LineTerminator.CopyTo(span[written..]);
        Advance(written + Syntax.LineTerminator.Length);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    /// <summary>
    /// A span of at least <paramref name="sizeHint"/> (at most <see cref="SendAreaSize"/>) free bytes: switches from
    /// the small buffer to the large one, or sends what is buffered, to make room.
    /// </summary>
    public Span<byte> GetSpan(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sizeHint, SendAreaSize);
        if (_capacity - _length >= sizeHint)
        {
            return _buffer.AsSpan(_length, _capacity - _length);
        }

        if (_buffer.Length == 0 && sizeHint <= SmallBufferSize)
        {
            _buffer = SmallBuffers.Rent();
            _capacity = SmallBufferSize;
        }
        else if (!_isLarge)
        {
            UseLargeBuffer();
        }

        if (_capacity - _length < sizeHint)
        {
            Flush();
        }

        return _buffer.AsSpan(_length, _capacity - _length);
    }

    public void Advance(int count) => _length += count;

    /// <summary>Sends everything buffered; blocks while the client is not reading (TCP back-pressure).</summary>
    public void Flush()
    {
        _lastSendProgress = Stopwatch.GetTimestamp();
        if (_length > SendChunkSize)
        {
            SendWithoutBlocking(_buffer.AsSpan(0, _length));
        }
        else if (_length > 0)
        {
            // One blocking send of at most SendChunkSize: a sync send's timeout is a deadline for the whole call, and a
            // client that reads steadily takes this much long before the send timeout.
            var sent = 0;
            while (sent < _length)
            {
                var sentNow = _socket.Send(_buffer.AsSpan(sent, _length - sent));
                Metrics?.Sent(sentNow);
                sent += sentNow;
                _lastSendProgress = Stopwatch.GetTimestamp();
            }
        }

        BytesSent += _length;
        if (_length > _replyStart)
        {
            _replyPartlySent = true;
        }

        _length = 0;
        _replyStart = 0;
    }

    /// <summary>
    /// Sends what is buffered, then <paramref name="bytes"/> from a buffer of the caller's (a slice encoder's chunk),
    /// without copying them into this writer's; bounded by the send timeout as <see cref="Flush"/> is.
    /// </summary>
    public void SendDirect(ReadOnlySpan<byte> bytes)
    {
        Flush();
        _lastSendProgress = Stopwatch.GetTimestamp();
        SendWithoutBlocking(bytes);
        BytesSent += bytes.Length;
        _replyPartlySent = true;
    }

    /// <summary>TCP_NOTSENT_LOWAT (Linux): how many unsent bytes the kernel keeps queued before a send waits.</summary>
    public const int TcpNotSentLowWaterOption = 25;

    /// <summary>The unsent bytes a connection keeps in the kernel: two send chunks (see <see cref="SendChunkSize"/>).</summary>
    public const int UnsentBytes = 2 * SendChunkSize;

    /// <summary>The unsent bytes kept while sendfile(2) sends a raw slice: a blocked call then wakes every MiB read.</summary>
    public const int FileSendUnsentBytes = 1024 * 1024;

    /// <summary>Most bytes one sendfile(2) call is given: as nginx's sendfile_max_chunk, so one call never runs for long.</summary>
    public const long FileSendChunkSize = 2 * 1024 * 1024;

    /// <summary>
    /// Sends what is buffered, then <paramref name="count"/> bytes of the open file <paramref name="file"/> from
    /// <paramref name="offset"/> straight from the page cache (sendfile(2); the socket must
    /// <see cref="ClientSocket.CanSendFile"/>). False when the file ended before them: it shrank since it was opened.
    /// Each call is bounded by the socket's send timeout, so a client that takes no byte for that long is cut.
    /// </summary>
    public bool TrySendFile(int file, long offset, long count)
    {
        Flush();

        // Woken every 64 KiB the client reads (the base64 path's TCP_NOTSENT_LOWAT), a sendfile switches context twice
        // as often; with 1 MiB a GB sent measured 0.24-0.25 s of server CPU against 0.28-0.32, nginx 0.27-0.29 (by
        // /usr/bin/time over bench/raw.sh's loads). Any failure below ends the connection, so the limit is put back only
        // on success.
        _socket.SetTcpOption(TcpNotSentLowWaterOption, FileSendUnsentBytes);
        var end = offset + count;
        while (offset < end)
        {
            _lastSendProgress = Stopwatch.GetTimestamp();
            var sent = _socket.SendFile(file, ref offset, Math.Min(end - offset, FileSendChunkSize));
            if (sent == 0)
            {
                return false;
            }

            Metrics?.Sent((int)sent);
            BytesSent += sent;
            _replyPartlySent = true;
        }

        _socket.SetTcpOption(TcpNotSentLowWaterOption, UnsentBytes);
        return true;
    }

    // Each send takes what the kernel has room for (TCP_NOTSENT_LOWAT keeps that to about two chunks beyond what the
    // network moves); when it has none, wait until it has or the send timeout passes without progress. A timeout is
    // thrown as the blocking send's would be (SocketError.TimedOut), so the connection tells it the same way.
    private void SendWithoutBlocking(ReadOnlySpan<byte> bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            var count = _socket.Send(bytes[sent..], wait: false, out var error);
            if (error == SocketError.Success)
            {
                Metrics?.Sent(count);
                sent += count;
                _lastSendProgress = Stopwatch.GetTimestamp();
            }
            else if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }
            else if (!_socket.Poll(RemainingSendMicroseconds(), SelectMode.SelectWrite))
            {
                throw new SocketException((int)SocketError.TimedOut);
            }
        }
    }

    private int RemainingSendMicroseconds() => SendTimeout == Timeout.InfiniteTimeSpan
        ? -1
        : (int)Math.Clamp((SendTimeout - SendStalledFor).TotalMicroseconds, 0, int.MaxValue);

    /// <summary>Gives the buffer back once everything is sent: the connection is about to wait.</summary>
    public void ReleaseIfEmpty()
    {
        if (_length != 0 || _buffer.Length == 0)
        {
            return;
        }

        if (_isLarge)
        {
            LargeBuffers.Return(_buffer);
        }
        else
        {
            SmallBuffers.Return(_buffer);
        }

        _buffer = [];
        _isLarge = false;
        _capacity = 0;
    }

    /// <summary>Gives the buffer back and lets go of the socket: the connection ended.</summary>
    public void Dispose()
    {
        _length = 0;
        ReleaseIfEmpty();
        _socket = null!;
    }

    // Keeps what is buffered (a status line, pipelined replies) in front of what comes next.
    private void UseLargeBuffer()
    {
        if (_isLarge)
        {
            return;
        }

        var large = LargeBuffers.Rent();
        _buffer.AsSpan(0, _length).CopyTo(large);
        if (_buffer.Length > 0)
        {
            SmallBuffers.Return(_buffer);
        }

        _buffer = large;
        _isLarge = true;
        _capacity = SendAreaSize;
    }
}
