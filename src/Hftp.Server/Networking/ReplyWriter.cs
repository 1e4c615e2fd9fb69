using System.Buffers;
using System.Net.Sockets;
using Hftp.Protocol;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Server.Networking;

/// <summary>Buffers a connection's replies and sends them; pipelined ones go out together once no request is left to
/// answer. Short replies use a small buffer, a listing, a large batch or a slice a large one, each rented from the
/// server's pools only while it is filled and sent (and returned by size: a pool rounds up to a power of two). A thread
/// owns none: it allocates only when the pool has none to lend, on a fresh server or past 1,024 at once (see
/// <see cref="Files.ServedNames"/> for what a connection thread's allocating costs); an idle connection holds none. A send is one buffer at most under
/// the send timeout, so the timeout limits a pause (no buffer taken for that long), never a whole reply. A thread keeps
/// one for the connections it runs in turn (<see cref="ConnectionScratch"/>).</summary>
internal sealed class ReplyWriter(SocketDeadline deadline, ArrayPool<byte> buffers, ArrayPool<byte> smallBuffers, ServerOptions options, ServerMetrics metrics)
{
    private Socket _socket = null!;
    private byte[] _buffer = [];
    private int _length;
    private int _replyStart;

    // When a send last moved bytes (or the batch began): the send timeout counts from here, not from each call.
    private long _progress;

    public long BytesSent { get; private set; }

    /// <summary>Every reply byte so far, sent or still buffered: the difference across a request is its reply's size.</summary>
    public long BytesWritten => BytesSent + _length;

    /// <summary>The status of the reply written last: what a request was answered.</summary>
    public StatusCode LastStatus { get; private set; }

    /// <summary>True once any byte of the current reply reached the socket: it can no longer be taken back.</summary>
    public bool ReplyPartlySent { get; private set; }

    /// <summary>The size of the large buffer: how much <see cref="GetSpan"/> can give at once.</summary>
    public int LargeBufferSize => options.LargeReplyBufferSize;

    /// <summary>Writes to the next connection's <paramref name="socket"/>, from nothing sent (the last one's <see cref="Close"/>
    /// gave its buffer back).</summary>
    public void Attach(Socket socket)
    {
        (_socket, _length, _replyStart, _progress, BytesSent) = (socket, 0, 0, 0, 0);
        (LastStatus, ReplyPartlySent) = (default, false);
    }

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

    /// <summary>A span of at least <paramref name="sizeHint"/> (at most <see cref="LargeBufferSize"/>) free bytes:
    /// moves from the small buffer to a large one, or sends what is buffered, to make room.</summary>
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

    /// <summary>Sends what is buffered, then <paramref name="bytes"/> from a buffer of the caller's (a slice encoder's), without copying them.</summary>
    public void SendDirect(ReadOnlySpan<byte> bytes)
    {
        Flush();
        Send(bytes);
        ReplyPartlySent = true;
    }

    /// <summary>Sends what is buffered, then <paramref name="count"/> bytes of <paramref name="file"/> from
    /// <paramref name="offset"/> with sendfile(2), <see cref="ServerOptions.FileSendChunkSize"/> a call under the send
    /// timeout. A call moves more than a slow reader takes in a timeout, so progress is what the client acknowledged,
    /// not what a call returned. False when the file ended first.</summary>
    public bool TrySendFile(SafeFileHandle file, long offset, long count, int unsentBytes)
    {
        Flush();
        SetUnsentBytes(unsentBytes);
        for (var end = offset + count; offset < end;)
        {
            deadline.Begin(Wait.Send, options.SendTimeout, _progress, deadline.BytesAcked());
            try
            {
                if (Sent(SendFile.Send(_socket.SafeHandle, file, ref offset, Math.Min(end - offset, options.FileSendChunkSize))) == 0)
                {
                    return false;
                }
            }
            catch (SocketException) when (deadline.End() == Wait.Send)
            {
                throw new TimeoutException("send timeout");
            }

            ReplyPartlySent = true;
        }

        // Any failure above ends the connection, so the limit is put back only on success.
        SetUnsentBytes(options.UnsentBytes);
        return true;
    }

    /// <summary>TCP_NOTSENT_LOWAT (Linux: IPPROTO_TCP 6, option 25): unsent bytes the kernel keeps before a send waits.</summary>
    public void SetUnsentBytes(int bytes)
    {
        if (OperatingSystem.IsLinux())
        {
            // On the stack: a connection thread that allocates at all takes a fresh allocation context (see Connection).
            Span<byte> value = stackalloc byte[sizeof(int)];
            BitConverter.TryWriteBytes(value, bytes);
            _socket.SetRawSocketOption(6, 25, value);
        }
    }

    /// <summary>Gives the buffer back once everything is sent: the connection is about to wait.</summary>
    public void ReleaseBuffer()
    {
        if (_length == 0 && _buffer.Length > 0)
        {
            Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>Gives the buffer back, whatever it held: the connection ended.</summary>
    public void Close()
    {
        _length = 0;
        ReleaseBuffer();
    }

    private void Return(byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            (buffer.Length < LargeBufferSize ? smallBuffers : buffers).Return(buffer);
        }
    }

    // A buffer large enough for what is buffered and sizeHint more: the small one while it fits, else a large one
    // (what is buffered, a status line or pipelined replies, moves along), else send what is buffered first.
    private void Grow(int sizeHint)
    {
        _progress = _buffer.Length == 0 ? deadline.Now : _progress;
        var wanted = _length + sizeHint <= options.SmallReplyBufferSize ? options.SmallReplyBufferSize : LargeBufferSize;
        if (wanted > _buffer.Length)
        {
            var larger = wanted == options.SmallReplyBufferSize ? smallBuffers.Rent(wanted) : buffers.Rent(wanted);
            _buffer.AsSpan(0, _length).CopyTo(larger);
            Return(_buffer);
            _buffer = larger;
        }

        if (_buffer.Length - _length < sizeHint)
        {
            Flush();
        }
    }

    // One blocking send of everything buffered: the kernel takes it as the client reads (TCP_NOTSENT_LOWAT keeps its
    // queue short), and the deadline cuts a client that has not taken it within the send timeout.
    private void Send(ReadOnlySpan<byte> bytes)
    {
        deadline.Begin(Wait.Send, options.SendTimeout, _progress);
        try
        {
            Sent(_socket.Send(bytes));
        }
        catch (SocketException) when (deadline.End() == Wait.Send)
        {
            throw new TimeoutException("send timeout");
        }
    }

    // A send that returned after the deadline passed was cut short: it timed out all the same.
    private long Sent(long sent)
    {
        if (deadline.End() == Wait.Send)
        {
            throw new TimeoutException("send timeout");
        }

        metrics.Sent((int)sent);
        BytesSent += sent;
        _progress = deadline.Now;
        return sent;
    }
}
