using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Hftp.Server.Networking;

/// <summary>What a connection's thread is blocked on, for its deadline.</summary>
internal enum Wait
{
    Nothing,
    NextRequest,
    RestOfLine,
    Send,
    Linger,
}

/// <summary>The deadline of the one blocking call a connection's thread is in: the server's heartbeat (<see cref="Check"/>, on
/// the <see cref="TimeProvider"/>) shuts the socket down once it passed, which wakes the call, and <see cref="End"/>
/// tells the thread it timed out. As Kestrel's heartbeat: no timer per connection, and tests move a fake clock. A thread
/// keeps one for the connections it runs in turn (<see cref="ConnectionScratch"/>).</summary>
internal sealed class SocketDeadline(TimeProvider time)
{
    private readonly Lock _lock = new();
    private Socket _socket = null!;
    private Wait _waitingFor;
    private long _deadline;
    private long _timeout;
    private long _acked;
    private Wait _expired;

    public long Now => time.GetTimestamp();

    /// <summary>Serves the next connection's <paramref name="socket"/>, called between connections. A wait the last one left
    /// (its thread ended on an exception inside it) is dropped, so that it cannot expire on the new socket.</summary>
    public void Attach(Socket socket)
    {
        lock (_lock)
        {
            (_socket, _waitingFor, _expired) = (socket, Wait.Nothing, Wait.Nothing);
        }
    }

    /// <summary>What the thread is blocked on now (diagnostics, read without the lock: tests poll it before moving a fake clock).</summary>
    public Wait WaitingFor => _waitingFor;

    /// <summary>Starts a wait that may last <paramref name="timeout"/> from <paramref name="since"/> (a timestamp; 0: now).
    /// With <paramref name="acked"/> (the socket's <see cref="BytesAcked"/>, for a send too long to return in a
    /// timeout), the deadline moves on whenever the client has taken more since.</summary>
    public void Begin(Wait kind, TimeSpan timeout, long since = 0, long acked = -1)
    {
        var ticks = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue / 2 : (long)(timeout.TotalSeconds * time.TimestampFrequency);
        var deadline = (since == 0 ? time.GetTimestamp() : since) + ticks;
        lock (_lock)
        {
            (_waitingFor, _deadline, _timeout, _acked, _expired) = (kind, deadline, ticks, acked, Wait.Nothing);
        }
    }

    /// <summary>TCP_INFO's tcpi_bytes_acked (Linux 4.1+: IPPROTO_TCP 6, option 11, byte 120): what the client took; -1 unknown.</summary>
    public long BytesAcked()
    {
        Span<byte> info = stackalloc byte[128];
        try
        {
            return OperatingSystem.IsLinux() && _socket.GetRawSocketOption(6, 11, info) == info.Length ? BitConverter.ToInt64(info[120..]) : -1;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>Ends the wait; returns what timed out during it (Nothing when it did not).</summary>
    public Wait End()
    {
        lock (_lock)
        {
            _waitingFor = Wait.Nothing;
            return _expired;
        }
    }

    /// <summary>On the heartbeat: wakes the thread if its wait passed its deadline at <paramref name="now"/>.</summary>
    public void Check(long now)
    {
        // Unlocked first: nearly every wait is within its deadline, and the heartbeat visits every connection. A stale
        // read only defers the check to the next beat; a wait that may have passed is checked again under the lock.
        if (_waitingFor == Wait.Nothing || now < Volatile.Read(ref _deadline))
        {
            return;
        }

        Wait expired;
        Socket socket;
        lock (_lock)
        {
            if (_waitingFor == Wait.Nothing || _expired != Wait.Nothing || now < _deadline)
            {
                return;
            }

            if (_acked >= 0 && BytesAcked() is var acked && acked > _acked)
            {
                (_acked, _deadline) = (acked, now + _timeout);
                return;
            }

            (expired, _expired, socket) = (_waitingFor, _waitingFor, _socket);
        }

        // A receive wakes reading end of stream; a blocked send needs the send side shut too (it then fails).
        TryShutdown(socket, expired == Wait.Send ? SocketShutdown.Both : SocketShutdown.Receive);
    }

    /// <summary>Receives into <paramref name="buffer"/> within the deadline; -1 when it passed first.</summary>
    /// <remarks>Inlined: a frame fewer under every blocked receive for each collection to walk, on each thread.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Receive(Span<byte> buffer, Wait kind, TimeSpan timeout, long since = 0)
    {
        // The overload that returns its error: a timed-out receive throws nothing.
        Begin(kind, timeout, since);
        var received = _socket.Receive(buffer, SocketFlags.None, out var error);
        return End() != Wait.Nothing ? -1 : error == SocketError.Success ? received : throw new SocketException((int)error);
    }

    /// <summary>Shuts <paramref name="socket"/> down from any thread, waking what blocks on it; closed already is fine.</summary>
    public static void TryShutdown(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Closed or reset meanwhile: nothing left to wake.
        }
    }

    /// <summary>Send side first, so the client reads the last reply and then a clean end of stream; then reads what it still
    /// sends for up to <paramref name="linger"/>, because closing with unread data would reset the connection instead.
    /// A stop meanwhile shuts the socket down, which ends the reading at once.</summary>
    public void CloseGracefully(TimeSpan linger)
    {
        Span<byte> scratch = stackalloc byte[512];
        TryShutdown(_socket, SocketShutdown.Send);
        Begin(Wait.Linger, linger);
        try
        {
            while (_socket.Receive(scratch, SocketFlags.None, out var error) > 0 && error == SocketError.Success)
            {
            }
        }
        finally
        {
            End();
        }
    }
}
