using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hftp.Server.Networking;

/// <summary>
/// The Linux system calls <see cref="ClientSocket"/> makes on a bare descriptor, each retried on EINTR where retrying
/// is right, with errors mapped to <see cref="SocketError"/> as .NET maps them. None allocates.
/// </summary>
internal static unsafe partial class SocketCalls
{
    public const int MessagePeek = 0x2;
    public const int MessageDontWait = 0x40;
    public const int MessageNoSignal = 0x4000;

    public const int SocketLevel = 1, ReceiveTimeoutOption = 20, SendTimeoutOption = 21, LingerOption = 13;
    public const int TcpLevel = 6, TcpNoDelayOption = 1;

    private const int CloseOnExec = 0x80000;
    private const short PollIn = 0x1, PollOut = 0x4;
    private const int Interrupted = 4;

    /// <summary>
    /// accept4(2) on <paramref name="listener"/>: the new descriptor (close-on-exec, blocking), or -1 with the error.
    /// The listener's handle is held meanwhile, so closing it (which shuts it down first) wakes the call instead of
    /// freeing the descriptor under it.
    /// </summary>
    public static int Accept(SafeHandle listener, Span<byte> address, out int addressLength, out SocketError error)
    {
        var added = false;
        try
        {
            listener.DangerousAddRef(ref added);
            var descriptor = (int)listener.DangerousGetHandle();
            fixed (byte* addressBytes = address)
            {
                while (true)
                {
                    var length = address.Length;
                    var accepted = AcceptRaw(descriptor, addressBytes, &length, CloseOnExec);
                    if (accepted >= 0)
                    {
                        addressLength = length;
                        error = SocketError.Success;
                        return accepted;
                    }

                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != Interrupted)
                    {
                        addressLength = 0;
                        error = ToSocketError(errno, dontWait: false);
                        return -1;
                    }
                }
            }
        }
        catch (ObjectDisposedException)
        {
            addressLength = 0;
            error = SocketError.OperationAborted;
            return -1;
        }
        finally
        {
            if (added)
            {
                listener.DangerousRelease();
            }
        }
    }

    /// <summary>recv(2) or send(2): the count, or 0 with the error.</summary>
    public static int Transfer(int descriptor, byte* bytes, int length, int flags, bool isSend, out SocketError error)
    {
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

    /// <summary>
    /// poll(2) for readability or writability, in whole milliseconds (-1: no limit), as <see cref="Socket.Poll(int, SelectMode)"/>
    /// waits. True also on an error or hang-up: the receive or send that follows meets it and says what it is.
    /// </summary>
    public static bool Poll(int descriptor, bool forWrite, int milliseconds, out SocketError error)
    {
        var deadline = milliseconds > 0 ? Environment.TickCount64 + milliseconds : 0;
        var request = new PollRequest { Descriptor = descriptor, Events = forWrite ? PollOut : PollIn };
        while (true)
        {
            var ready = PollRaw(&request, 1, milliseconds);
            if (ready >= 0)
            {
                error = SocketError.Success;
                return ready > 0;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                error = ToSocketError(errno, dontWait: false);
                return false;
            }

            // A signal cut the wait short: wait for what is left of it.
            if (milliseconds > 0)
            {
                milliseconds = (int)Math.Max(0, deadline - Environment.TickCount64);
            }
        }
    }

    public static SocketError Shutdown(int descriptor, SocketShutdown how) =>
        ShutdownRaw(descriptor, (int)how) == 0 ? SocketError.Success : ToSocketError(Marshal.GetLastPInvokeError(), dontWait: false);

    public static SocketError SetOption(int descriptor, int level, int name, void* value, int length) =>
        SetOptionRaw(descriptor, level, name, value, (uint)length) == 0
            ? SocketError.Success : ToSocketError(Marshal.GetLastPInvokeError(), dontWait: false);

    /// <summary>
    /// sendfile(2): up to <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/>
    /// (advanced by what was sent) straight from the page cache to the socket. The count, 0 at the file's end, or -1
    /// with the error; blocking, bounded by the socket's send timeout as send(2) is.
    /// </summary>
    public static long SendFile(int descriptor, int file, ref long offset, long count, out SocketError error)
    {
        while (true)
        {
            nint sent;
            fixed (long* position = &offset)
            {
                sent = SendFileRaw(descriptor, file, position, (nuint)count);
            }

            if (sent >= 0)
            {
                error = SocketError.Success;
                return sent;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != Interrupted)
            {
                error = ToSocketError(errno, dontWait: false);
                return -1;
            }
        }
    }

    /// <summary>close(2), not retried: on Linux the descriptor is released even when it reports EINTR.</summary>
    public static void Close(int descriptor) => CloseRaw(descriptor);

    // Linux errno values, as .NET itself maps them.
    private static SocketError ToSocketError(int errno, bool dontWait) => errno switch
    {
        11 => dontWait ? SocketError.WouldBlock : SocketError.TimedOut, // EAGAIN: no room now, or SO_*TIMEO passed
        9 => SocketError.OperationAborted, // EBADF
        12 or 105 => SocketError.NoBufferSpaceAvailable, // ENOMEM, ENOBUFS
        14 => SocketError.Fault,
        22 => SocketError.InvalidArgument, // also accept on a listener shut down
        23 or 24 => SocketError.TooManyOpenSockets, // ENFILE, EMFILE
        32 or 108 => SocketError.Shutdown, // EPIPE, ESHUTDOWN
        71 => SocketError.ProtocolType, // EPROTO
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

    [StructLayout(LayoutKind.Sequential)]
    private struct PollRequest
    {
        public int Descriptor;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport("libc", EntryPoint = "sendfile64", SetLastError = true)]
    private static partial nint SendFileRaw(int descriptor, int file, long* offset, nuint count);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    private static partial int AcceptRaw(int descriptor, byte* address, int* addressLength, int flags);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint ReceiveRaw(int descriptor, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static partial nint SendRaw(int descriptor, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollRaw(PollRequest* requests, nuint count, int milliseconds);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    private static partial int ShutdownRaw(int descriptor, int how);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetOptionRaw(int descriptor, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseRaw(int descriptor);
}
