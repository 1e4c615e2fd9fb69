using System.Buffers;
using System.Net.Sockets;
using Hftp.Protocol;

namespace Hftp.Server.Networking;

/// <summary>
/// Buffers a connection's replies and sends them: pipelined replies go out together when the connection runs out of
/// requests to answer. Its buffer is rented from the server's pool only while there is something to send, so an idle
/// connection holds none: a small one for short replies, a large one for a listing, a batch or a slice, which it fills
/// and sends in turn. Each send is at most <see cref="ServerOptions.SendChunkSize"/> bytes under the send timeout, so
/// the timeout limits a pause (no byte taken for that long), never a whole reply.
/// </summary>
internal sealed class ReplyWriter(Socket socket, SocketDeadline deadline, ArrayPool<byte> buffers, ServerOptions options, ServerMetrics metrics)
{
    private byte[] _buffer = [];
    private int _length;
    private int _replyStart;

    public long BytesSent { get; private set; }

    /// <summary>Every reply byte so far, sent or still buffered: the difference across a request is its reply's size.</summary>
    public long BytesWritten => BytesSent + _length;

    /// <summary>The status of the reply written last: what a request was answered.</summary>
    public StatusCode LastStatus { get; private set; }

    /// <summary>True once any byte of the current reply reached the socket: it can no longer be taken back.</summary>
    public bool ReplyPartlySent { get; private set; }

    /// <summary>The size of the large buffer: how much <see cref="GetSpan"/> can give at once.</summary>
    public int LargeBufferSize => options.LargeReplyBufferSize;

    /// <summary>Marks where the next reply starts, so it can be retracted while none of it has been sent.</summary>
    public void BeginReply()
    {
        _replyStart = _length;
        ReplyPartlySent = false;
    }

    /// <summary>Drops what the current reply buffered (e.g. a <c>0 OK</c> whose body then failed to read).</summary>
    public void RetractReply()
    {
        if (!ReplyPartlySent)
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
        while (!bytes.IsEmpty)
        {
            var span = GetSpan(Math.Min(bytes.Length, LargeBufferSize));
            var count = Math.Min(bytes.Length, span.Length);
            bytes[..count].CopyTo(span);
            Advance(count);
            bytes = bytes[count..];
        }
    }

    /// <summary>
    /// A span of at least <paramref name="sizeHint"/> (at most <see cref="LargeBufferSize"/>) free bytes: moves from the
    /// small buffer to a large one, or sends what is buffered, to make room.
    /// </summary>
    public Span<byte> GetSpan(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sizeHint, LargeBufferSize);
        if (_buffer.Length - _length < sizeHint)
        {
            Grow(sizeHint);
        }

        return _buffer.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    /// <summary>Sends everything buffered; blocks while the client is not reading (TCP back-pressure).</summary>
    public void Flush()
    {
        if (_length > 0)
        {
            Send(_buffer.AsSpan(0, _length));
            ReplyPartlySent |= _length > _replyStart;
        }

        _length = 0;
        _replyStart = 0;
    }

    /// <summary>Gives the buffer back once everything is sent: the connection is about to wait.</summary>
    public void ReleaseBuffer()
    {
        if (_length == 0 && _buffer.Length > 0)
        {
            buffers.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Gives the buffer back, whatever it held: the connection ended.</summary>
    public void Close()
    {
        _length = 0;
        ReleaseBuffer();
    }

    // A buffer large enough for what is buffered and sizeHint more: the small one while it fits, else a large one
    // (what is buffered, a status line or pipelined replies, moves along), else send what is buffered first.
    private void Grow(int sizeHint)
    {
        var wanted = _length + sizeHint <= options.SmallReplyBufferSize ? options.SmallReplyBufferSize : LargeBufferSize;
        if (wanted > _buffer.Length)
        {
            var larger = buffers.Rent(wanted);
            _buffer.AsSpan(0, _length).CopyTo(larger);
            if (_buffer.Length > 0)
            {
                buffers.Return(_buffer);
            }

            _buffer = larger;
        }

        if (_buffer.Length - _length < sizeHint)
        {
            Flush();
        }
    }

    private void Send(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var chunk = bytes[..Math.Min(bytes.Length, options.SendChunkSize)];
            deadline.Begin(Wait.Send, options.SendTimeout);
            int sent;
            try
            {
                sent = socket.Send(chunk);
            }
            catch (SocketException) when (deadline.End() == Wait.Send)
            {
                throw new TimeoutException("send timeout");
            }

            if (deadline.End() == Wait.Send)
            {
                throw new TimeoutException("send timeout");
            }

            metrics.Sent(sent);
            BytesSent += sent;
            bytes = bytes[sent..];
        }
    }
}
