using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Hftp.Server.Networking;

/// <summary>
/// A connection thread's socket, reused by each connection the thread serves, so accepting a client allocates
/// nothing. On Linux it holds the bare descriptor accept4(2) gave and calls the system directly (<see cref="SocketCalls"/>):
/// a .NET <see cref="Socket"/> per client is a socket, a handle and endpoint objects (320 bytes), and on its first
/// blocking receive an async context (224 more); with ten thousand threads alive, every collection they set off
/// stops and scans all of them. Elsewhere it wraps the <see cref="Socket"/> the listener accepted.
/// <para>
/// Only the owning thread receives, sends, polls, sets options and closes. Any thread may <see cref="TryShutdown"/>
/// (a server stopping wakes a blocked receive that way): under a lock with <see cref="Close"/>, so a descriptor
/// number already closed, and maybe reused by another client, is never shut down.
/// </para>
/// </summary>
internal sealed class ClientSocket
{
    // sockaddr_in6, the largest address a TCP listener accepts from.
    private const int AddressCapacity = 28;
    private const int InternetFamily = 2, Internet6Family = 10;

    private readonly Lock _closing = new();
    private readonly byte[] _address = new byte[AddressCapacity];
    private int _addressLength;
    private int _descriptor = -1;
    private Socket? _socket;
    private IPEndPoint? _remote;
    private bool _remoteKnown;

    // Whether this platform's sockets are bare descriptors (Linux) rather than Socket objects.
    private static bool UsesDescriptors => OperatingSystem.IsLinux();

    /// <summary>
    /// The client, as logs name it: the peer accept gave, or the client a PROXY protocol header named. Made on first
    /// use (a connection that logs nothing never makes it) and kept until the next client.
    /// </summary>
    public IPEndPoint? RemoteEndPoint
    {
        get
        {
            if (!_remoteKnown)
            {
                _remote = ReadPeer();
                _remoteKnown = true;
            }

            return _remote;
        }
    }

    /// <summary>The proxy that sent a PROXY protocol header naming another client; null otherwise.</summary>
    public IPEndPoint? ProxyEndPoint { get; private set; }

    /// <summary>
    /// Blocks until the next client of <paramref name="listener"/> arrives and makes it this socket's. Returns the
    /// error instead of throwing: out of descriptors or buffers, or the listener closed.
    /// </summary>
    public SocketError Accept(Socket listener)
    {
        ForgetClient();
        if (!UsesDescriptors)
        {
            try
            {
                var socket = listener.Accept();
                lock (_closing)
                {
                    _socket = socket;
                }

                // Kept now: the socket's own copy is gone once it is closed, and logs name the client after that.
                _remote = PeerOf(socket);
                _remoteKnown = true;
                return SocketError.Success;
            }
            catch (SocketException exception)
            {
                return exception.SocketErrorCode;
            }
            catch (Exception exception) when (exception is ObjectDisposedException or InvalidOperationException)
            {
                return SocketError.OperationAborted;
            }
        }

        var descriptor = SocketCalls.Accept(listener.SafeHandle, _address, out _addressLength, out var error);
        if (descriptor >= 0)
        {
            lock (_closing)
            {
                _descriptor = descriptor;
            }
        }

        return error;
    }

    /// <summary>The PROXY protocol header named <paramref name="client"/>: logs name it, and the peer as its proxy.</summary>
    public void SpeakFor(IPEndPoint client)
    {
        ProxyEndPoint = RemoteEndPoint;
        _remote = client;
        _remoteKnown = true;
    }

    /// <summary>Receives into <paramref name="buffer"/> (0 at end of stream); with <paramref name="peek"/> the bytes stay queued.</summary>
    public unsafe int Receive(Span<byte> buffer, bool peek, out SocketError error)
    {
        if (_socket is { } socket)
        {
            return socket.Receive(buffer, peek ? SocketFlags.Peek : SocketFlags.None, out error);
        }

        fixed (byte* bytes = buffer)
        {
            return SocketCalls.Transfer(_descriptor, bytes, buffer.Length, peek ? SocketCalls.MessagePeek : 0, isSend: false, out error);
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>; throws <see cref="SocketException"/> on an error, as <see cref="Socket.Receive(Span{byte})"/> does.</summary>
    public int Receive(Span<byte> buffer)
    {
        var received = Receive(buffer, peek: false, out var error);
        return error == SocketError.Success ? received : throw new SocketException((int)error);
    }

    /// <summary>
    /// Sends what the kernel takes of <paramref name="buffer"/>: blocking (bounded by the send timeout), or with
    /// <paramref name="wait"/> false, only what fits now (<see cref="SocketError.WouldBlock"/> when nothing does).
    /// </summary>
    public unsafe int Send(ReadOnlySpan<byte> buffer, bool wait, out SocketError error)
    {
        if (_socket is { } socket)
        {
            return SendPortably(socket, buffer, wait, out error);
        }

        fixed (byte* bytes = buffer)
        {
            var flags = SocketCalls.MessageNoSignal | (wait ? 0 : SocketCalls.MessageDontWait);
            return SocketCalls.Transfer(_descriptor, bytes, buffer.Length, flags, isSend: true, out error);
        }
    }

    /// <summary>
    /// Whether <see cref="SendFile"/> can send from a file descriptor: on Linux, where the socket is a bare descriptor.
    /// Elsewhere a raw slice is read and sent through the reply buffer.
    /// </summary>
    public bool CanSendFile => _socket is null && UsesDescriptors;

    /// <summary>
    /// Sends up to <paramref name="count"/> bytes of the open <paramref name="file"/> from <paramref name="offset"/>
    /// (advanced by what was sent) with sendfile(2): no copy through user space. Returns the count, 0 when the file
    /// ended first; throws <see cref="SocketException"/> on an error (a timeout as <see cref="SocketError.TimedOut"/>).
    /// </summary>
    public long SendFile(int file, ref long offset, long count)
    {
        var sent = SocketCalls.SendFile(_descriptor, file, ref offset, count, out var error);
        return error == SocketError.Success ? sent : throw new SocketException((int)error);
    }

    /// <summary>Sends what the kernel takes of <paramref name="buffer"/>, blocking; throws <see cref="SocketException"/> on an error.</summary>
    public int Send(ReadOnlySpan<byte> buffer)
    {
        var sent = Send(buffer, wait: true, out var error);
        return error == SocketError.Success ? sent : throw new SocketException((int)error);
    }

    /// <summary>
    /// Waits up to <paramref name="microseconds"/> (-1: no limit; whole milliseconds, rounded down, as
    /// <see cref="Socket.Poll(int, SelectMode)"/> waits) for bytes to read or room to send; throws on an error.
    /// </summary>
    public bool Poll(int microseconds, SelectMode mode)
    {
        if (_socket is { } socket)
        {
            return socket.Poll(microseconds, mode);
        }

        var milliseconds = microseconds < 0 ? -1 : microseconds / 1000;
        var ready = SocketCalls.Poll(_descriptor, mode == SelectMode.SelectWrite, milliseconds, out var error);
        return error == SocketError.Success ? ready : throw new SocketException((int)error);
    }

    /// <summary>Shuts down one or both directions; throws <see cref="SocketException"/> on an error.</summary>
    public void Shutdown(SocketShutdown how)
    {
        if (_socket is { } socket)
        {
            socket.Shutdown(how);
            return;
        }

        var error = SocketCalls.Shutdown(_descriptor, how);
        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }
    }

    /// <summary>From any thread: shuts down what is still open, to wake the owner's blocked call; never throws.</summary>
    public void TryShutdown(SocketShutdown how)
    {
        lock (_closing)
        {
            if (_descriptor >= 0)
            {
                SocketCalls.Shutdown(_descriptor, how);
                return;
            }

            try
            {
                _socket?.Shutdown(how);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                // Already closed: nothing to wake.
            }
        }
    }

    /// <summary>Replies go out as soon as they are written: they are whole, and Nagle would hold a small one back.</summary>
    public unsafe void DisableNagle()
    {
        if (_socket is { } socket)
        {
            socket.NoDelay = true;
            return;
        }

        var on = 1;
        ThrowIfFailed(SocketCalls.SetOption(_descriptor, SocketCalls.TcpLevel, SocketCalls.TcpNoDelayOption, &on, sizeof(int)));
    }

    /// <summary>SO_RCVTIMEO, in milliseconds; 0 for none.</summary>
    public void SetReceiveTimeout(int milliseconds)
    {
        if (_socket is { } socket)
        {
            socket.ReceiveTimeout = milliseconds;
            return;
        }

        SetTimeout(SocketCalls.ReceiveTimeoutOption, milliseconds);
    }

    /// <summary>SO_SNDTIMEO, in milliseconds; 0 for none.</summary>
    public void SetSendTimeout(int milliseconds)
    {
        if (_socket is { } socket)
        {
            socket.SendTimeout = milliseconds;
            return;
        }

        SetTimeout(SocketCalls.SendTimeoutOption, milliseconds);
    }

    /// <summary>Sets a TCP option whose value is an int (Linux only, as the option numbers are Linux's).</summary>
    public unsafe void SetTcpOption(int name, int value)
    {
        if (_socket is { } socket)
        {
            Span<byte> bytes = stackalloc byte[sizeof(int)];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
            socket.SetRawSocketOption(SocketCalls.TcpLevel, name, bytes);
            return;
        }

        ThrowIfFailed(SocketCalls.SetOption(_descriptor, SocketCalls.TcpLevel, name, &value, sizeof(int)));
    }

    /// <summary>Closing will reset the connection, so the kernel drops unsent bytes at once instead of keeping them queued.</summary>
    public unsafe void ResetOnClose()
    {
        if (_socket is { } socket)
        {
            socket.LingerState = new LingerOption(true, 0);
            return;
        }

        // struct linger: on, 0 seconds.
        var linger = stackalloc int[] { 1, 0 };
        ThrowIfFailed(SocketCalls.SetOption(_descriptor, SocketCalls.SocketLevel, SocketCalls.LingerOption, linger, 2 * sizeof(int)));
    }

    /// <summary>Closes the client's socket; the object waits for the next one.</summary>
    public void Close()
    {
        int descriptor;
        Socket? socket;
        lock (_closing)
        {
            (descriptor, _descriptor) = (_descriptor, -1);
            (socket, _socket) = (_socket, null);
        }

        if (descriptor >= 0)
        {
            SocketCalls.Close(descriptor);
        }

        socket?.Dispose();
    }

    private static void ThrowIfFailed(SocketError error)
    {
        if (error != SocketError.Success)
        {
            throw new SocketException((int)error);
        }
    }

    private unsafe void SetTimeout(int option, int milliseconds)
    {
        // struct timeval; zero is no timeout, as for Socket's properties.
        var time = stackalloc long[] { milliseconds / 1000, milliseconds % 1000 * 1000 };
        ThrowIfFailed(SocketCalls.SetOption(_descriptor, SocketCalls.SocketLevel, option, time, 2 * sizeof(long)));
    }

    private static int SendPortably(Socket socket, ReadOnlySpan<byte> buffer, bool wait, out SocketError error)
    {
        if (wait)
        {
            return socket.Send(buffer, SocketFlags.None, out error);
        }

        socket.Blocking = false;
        try
        {
            return socket.Send(buffer, SocketFlags.None, out error);
        }
        finally
        {
            socket.Blocking = true;
        }
    }

    private void ForgetClient()
    {
        _remote = null;
        _remoteKnown = false;
        ProxyEndPoint = null;
        _addressLength = 0;
    }

    private static IPEndPoint? PeerOf(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint as IPEndPoint;
        }
        catch (SocketException)
        {
            // Reset already: the connection's first receive says so.
            return null;
        }
    }

    private IPEndPoint? ReadPeer()
    {
        // sockaddr_in or sockaddr_in6 as accept4 wrote it: family in the machine's order, port and address in the network's.
        var address = _address.AsSpan(0, _addressLength);
        if (address.Length < 8)
        {
            return null;
        }

        var family = BitConverter.ToUInt16(address);
        var port = BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        return family switch
        {
            InternetFamily => new IPEndPoint(new IPAddress(address.Slice(4, 4)), port),
            Internet6Family when address.Length >= AddressCapacity =>
                new IPEndPoint(new IPAddress(address.Slice(8, 16), BitConverter.ToUInt32(address[24..])), port),
            _ => null,
        };
    }
}
