using System.Buffers;
using System.Net.Sockets;
using Hftp.Protocol;

namespace Hftp.Server.Networking;

/// <summary>
/// Buffers replies and sends them in as few syscalls as it can: pipelined replies go out together when the
/// connection runs out of requests to answer. Its buffer is pooled; a large one, grown for a slice, is given
/// back as soon as the slice is sent.
/// </summary>
internal sealed class ReplyWriter(Socket socket) : IDisposable
{
    public const int SmallBufferSize = 4 * 1024;
    public const int LargeBufferSize = 256 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(SmallBufferSize);
    private int _length;
    private int _replyStart;
    private bool _replyPartlySent;

    public long BytesSent { get; private set; }

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

    public void WriteStatus(StatusCode status) => Write(status.StatusLine());

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

        if (_buffer.Length - _length < sizeHint)
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

    /// <summary>Returns a buffer grown for a large reply to the pool, keeping a small one.</summary>
    public void ShrinkIfEmpty()
    {
        if (_length == 0 && _buffer.Length > SmallBufferSize)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(SmallBufferSize);
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }
}
