using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hftp.Server.Networking;

/// <summary>
/// Receives and sends on a connection's socket without the state .NET builds for a socket on its first blocking
/// receive or send (or its first switch to non-blocking): on Linux that is an async context of 224 bytes. On a
/// connection thread that allocates nothing else, that one object takes a whole allocation quantum (8 KiB) of the
/// collector's budget, so ten thousand connections opened at once set off collections that each stop and scan all
/// ten thousand threads (tens of milliseconds each, felt by every client). On Linux these go straight to recv(2)
/// and send(2) on the socket's descriptor; elsewhere to the Socket methods. Errors come back as a
/// <see cref="SocketError"/>, as from the Socket overloads with an error out parameter: a timeout (SO_RCVTIMEO,
/// SO_SNDTIMEO) is <see cref="SocketError.TimedOut"/>, a send that would block is <see cref="SocketError.WouldBlock"/>.
/// </summary>
internal static partial class SocketCalls
{
    private const int MessagePeek = 0x2;
    private const int MessageDontWait = 0x40;
    private const int MessageNoSignal = 0x4000;

    /// <summary>Receives into <paramref name="buffer"/> (0 at end of stream); with <paramref name="peek"/> the bytes stay queued.</summary>
    public static unsafe int Receive(Socket socket, Span<byte> buffer, bool peek, out SocketError error)
    {
        if (!OperatingSystem.IsLinux())
        {
            return socket.Receive(buffer, peek ? SocketFlags.Peek : SocketFlags.None, out error);
        }

        fixed (byte* bytes = buffer)
        {
            return Call(socket, bytes, buffer.Length, peek ? MessagePeek : 0, isSend: false, out error);
        }
    }

    /// <summary>Receives into <paramref name="buffer"/>; throws <see cref="SocketException"/> on an error, as <see cref="Socket.Receive(Span{byte})"/> does.</summary>
    public static int Receive(Socket socket, Span<byte> buffer)
    {
        var received = Receive(socket, buffer, peek: false, out var error);
        return error == SocketError.Success ? received : throw new SocketException((int)error);
    }

    /// <summary>
    /// Sends what the kernel takes of <paramref name="buffer"/>: blocking (bounded by the socket's send timeout), or
    /// with <paramref name="wait"/> false, only what fits now (<see cref="SocketError.WouldBlock"/> when nothing does).
    /// </summary>
    public static unsafe int Send(Socket socket, ReadOnlySpan<byte> buffer, bool wait, out SocketError error)
    {
        if (!OperatingSystem.IsLinux())
        {
            return SendPortably(socket, buffer, wait, out error);
        }

        fixed (byte* bytes = buffer)
        {
            return Call(socket, bytes, buffer.Length, MessageNoSignal | (wait ? 0 : MessageDontWait), isSend: true, out error);
        }
    }

    /// <summary>Sends what the kernel takes of <paramref name="buffer"/>, blocking; throws <see cref="SocketException"/> on an error, as <see cref="Socket.Send(ReadOnlySpan{byte})"/> does.</summary>
    public static int Send(Socket socket, ReadOnlySpan<byte> buffer)
    {
        var sent = Send(socket, buffer, wait: true, out var error);
        return error == SocketError.Success ? sent : throw new SocketException((int)error);
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

    private static unsafe int Call(Socket socket, byte* bytes, int length, int flags, bool isSend, out SocketError error)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var descriptor = (int)handle.DangerousGetHandle();
            while (true)
            {
                var count = isSend
                    ? SendRaw(descriptor, bytes, (nuint)length, flags)
                    : ReceiveRaw(descriptor, bytes, (nuint)length, flags);
                if (count >= 0)
                {
                    error = SocketError.Success;
                    return (int)count;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Interrupted)
                {
                    error = ToSocketError(errno, (flags & MessageDontWait) != 0);
                    return 0;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed by another thread: what the Socket methods say in that case.
            error = SocketError.OperationAborted;
            return 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private const int Interrupted = 4;

    // Linux errno values, as .NET itself maps them.
    private static SocketError ToSocketError(int errno, bool dontWait) => errno switch
    {
        11 => dontWait ? SocketError.WouldBlock : SocketError.TimedOut, // EAGAIN: no room now, or SO_*TIMEO passed
        9 => SocketError.OperationAborted, // EBADF
        12 or 105 => SocketError.NoBufferSpaceAvailable, // ENOMEM, ENOBUFS
        14 => SocketError.Fault,
        22 => SocketError.InvalidArgument,
        32 or 108 => SocketError.Shutdown, // EPIPE, ESHUTDOWN
        88 => SocketError.NotSocket,
        100 => SocketError.NetworkDown,
        101 => SocketError.NetworkUnreachable,
        102 => SocketError.NetworkReset,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        107 => SocketError.NotConnected,
        110 => SocketError.TimedOut, // ETIMEDOUT: the peer stopped answering (keepalive, retransmissions)
        113 => SocketError.HostUnreachable,
        _ => SocketError.SocketError,
    };

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static unsafe partial nint ReceiveRaw(int descriptor, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint SendRaw(int descriptor, byte* buffer, nuint length, int flags);
}
