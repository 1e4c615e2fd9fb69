using System.Net;
using System.Net.Sockets;

namespace Hftp.Cli.Tests;

/// <summary>
/// A loopback TCP relay between a client and a server. It forwards at most <see cref="Budget"/> bytes from the
/// server to the client and then holds the rest back until <see cref="Release"/>, so a test can stop a
/// download at a known point; it can also drop every connection and send new ones to another server.
/// </summary>
internal sealed class TcpRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private readonly List<Socket> _sockets = [];
    private TaskCompletionSource _budgetRaised = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _reserved;
    private long _forwarded;
    private int _upstreamPort;

    public TcpRelay(int upstreamPort, long budget = long.MaxValue)
    {
        _upstreamPort = upstreamPort;
        Budget = budget;
        _listener.Start();
        _ = Task.Run(AcceptAsync); // off the test framework's synchronization context
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many server-to-client bytes may pass in all, over every connection.</summary>
    public long Budget { get; private set; }

    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>
    /// The whole budget is granted to receives: forwarded, or held by a connection whose receive waits on a
    /// server with nothing more to send (a finished range of a parallel download), so Forwarded may stay below it.
    /// </summary>
    public bool BudgetGranted => Interlocked.Read(ref _reserved) >= Budget;

    /// <summary>Where connections accepted from now on are relayed to.</summary>
    public int UpstreamPort
    {
        get => Volatile.Read(ref _upstreamPort);
        set => Volatile.Write(ref _upstreamPort, value);
    }

    /// <summary>Lets everything through from now on.</summary>
    public void Release()
    {
        lock (_lock)
        {
            Budget = long.MaxValue;
            WakeWaiters();
        }
    }

    /// <summary>Lets <paramref name="more"/> bytes through from now on, then holds the rest back again.</summary>
    public void Allow(long more)
    {
        lock (_lock)
        {
            Budget = Interlocked.Read(ref _reserved) + more;
            WakeWaiters();
        }
    }

    /// <summary>Closes every relayed connection, as a crashed server or a broken network would.</summary>
    public void DropConnections()
    {
        Socket[] sockets;
        lock (_lock)
        {
            sockets = [.. _sockets];
            _sockets.Clear();
        }

        foreach (var socket in sockets)
        {
            socket.Dispose();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        DropConnections();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, UpstreamPort, _stop.Token);
                }
                catch (SocketException)
                {
                    server.Dispose();
                    client.Dispose(); // no server: the client sees its connection closed
                    continue;
                }

                lock (_lock)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                }

                _ = PumpAsync(client, server, limited: false);
                _ = PumpAsync(server, client, limited: true);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException
            or InvalidOperationException)
        {
            // Stopped (a listener stopped between two accepts says "not listening").
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool limited)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var allowed = limited ? await ReserveAsync(buffer.Length) : buffer.Length;
                var read = 0;
                try
                {
                    read = await from.ReceiveAsync(buffer.AsMemory(0, allowed), _stop.Token);
                }
                finally
                {
                    if (limited && read < allowed)
                    {
                        GiveBack(allowed - read); // unused budget goes back, even when the socket closed
                    }
                }

                if (read == 0)
                {
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, read), _stop.Token);
                if (limited)
                {
                    Interlocked.Add(ref _forwarded, read);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side went away: close both below.
        }

        from.Dispose();
        to.Dispose();
    }

    // Budget reserved and not received: another connection may be waiting for exactly these bytes. Without the wake-up
    // it waited for ever (64 KiB reserved, 6 bytes received: the download stalled 65,530 bytes short of its budget).
    private void GiveBack(int unused)
    {
        lock (_lock)
        {
            Interlocked.Add(ref _reserved, -unused);
            WakeWaiters();
        }
    }

    // Called under the lock.
    private void WakeWaiters()
    {
        _budgetRaised.TrySetResult();
        _budgetRaised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    // Takes up to `wanted` bytes of the budget, waiting while none is left.
    private async Task<int> ReserveAsync(int wanted)
    {
        while (true)
        {
            Task raised;
            lock (_lock)
            {
                var available = Budget - Interlocked.Read(ref _reserved);
                if (available > 0)
                {
                    var granted = (int)Math.Min(wanted, available);
                    Interlocked.Add(ref _reserved, granted);
                    return granted;
                }

                raised = _budgetRaised.Task;
            }

            await raised.WaitAsync(_stop.Token);
        }
    }
}
