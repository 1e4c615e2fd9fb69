using System.Buffers;
using System.Net.Sockets;
using Hftp.Protocol;

namespace Hftp.Server.Networking;

/// <summary>
/// Buffers replies and sends them in as few syscalls as it can: pipelined replies go out together when the
/// connection runs out of requests to answer. Its buffer is rented from the pool only while there is
/// something to send, so an idle connection holds none (thousands of idle clients cost little).
/// </summary>
internal sealed class ReplyWriter(Socket socket) : IDisposable
{
    public const int SmallBufferSize = 4 * 1024;
    public const int LargeBufferSize = 1024 * 1024;

    private byte[] _buffer = [];
    private int _length;
    private int _replyStart;
    private bool _replyPartlySent;

    public long BytesSent { get; private set; }

    /// <summary>Every reply byte so far, sent or still buffered: the difference across a request is its reply's size.</summary>
    public long BytesWritten => BytesSent + _length;

    /// <summary>The status of the reply written last: what a request was answered.</summary>
    public StatusCode LastStatus { get; private set; }

    /// <summary>Marks where the next reply starts, so it can be retracted while none of it has been sent.</summary>
    public void BeginReply()
    {
        _replyStart = _length;
        _replyPartlySent = false;
    }

    /// <summary>True once any byte of the current reply reached the socket: it can no longer be taken back.</summary>
    public bool ReplyPartlySent => _replyPartlySent;

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

    public void WriteLine(string asciiText)
    {
        var span = GetSpan(asciiText.Length + Syntax.LineTerminator.Length);
        var written = System.Text.Encoding.ASCII.GetBytes(asciiText, span);
        Syntax.LineTerminator.CopyTo(span[written..]);
        Advance(written + Syntax.LineTerminator.Length);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    /// <summary>A span of at least <paramref name="sizeHint"/> free bytes; sends or grows the buffer to get it.</summary>
    public Span<byte> GetSpan(int sizeHint)
    {
        if (_buffer.Length - _length >= sizeHint)
        {
            return _buffer.AsSpan(_length);
        }

        // Growing keeps a status line and the first slice chunk in one send; past the large size, send first.
        if (_length > 0 && _length + sizeHint > Math.Max(LargeBufferSize, _buffer.Length))
        {
            Flush();
        }

        if (_buffer.Length == 0)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(SmallBufferSize, sizeHint));
        }
        else if (_buffer.Length - _length < sizeHint)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(LargeBufferSize, _length + sizeHint));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    /// <summary>Sends everything buffered; blocks while the client is not reading (TCP back-pressure).</summary>
    public void Flush()
    {
        var sent = 0;
        while (sent < _length)
        {
            sent += socket.Send(_buffer, sent, _length - sent, SocketFlags.None);
        }

        BytesSent += _length;
        if (_length > _replyStart)
        {
            _replyPartlySent = true;
        }

        _length = 0;
        _replyStart = 0;
    }

    /// <summary>Gives the buffer back to the pool once everything is sent: the connection is about to wait.</summary>
    public void ReleaseIfEmpty()
    {
        if (_length == 0 && _buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    public void Dispose()
    {
        _length = 0;
        ReleaseIfEmpty();
    }
}
