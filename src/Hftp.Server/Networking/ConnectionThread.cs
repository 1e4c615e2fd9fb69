namespace Hftp.Server.Networking;

/// <summary>
/// A connection thread, as in Apache's worker model: it serves one connection for the connection's whole life,
/// then waits to be handed the next one instead of ending. It is started before the client it serves is accepted:
/// when the system has no thread to give, the client is still waiting in the listen backlog instead of being
/// accepted and dropped. Only started threads exist as objects of this type, so shutdown never meets (or joins) a
/// thread that did not start. The <see cref="Connection"/> object, with its socket and everything else a connection
/// needs for its whole life, belongs to the thread and is reused by each client it serves, so accepting a client
/// allocates nothing.
/// </summary>
internal sealed class ConnectionThread
{
    private readonly object _gate = new();
    private readonly ConnectionThreads _owner;
    private readonly Action<Connection> _run;
    private Connection? _handed;
    private bool _isHanded;
    private Connection? _current;

    private ConnectionThread(ConnectionThreads owner, Action<Connection> run, int stackSize, Connection connection)
    {
        _owner = owner;
        _run = run;
        Connection = connection;
        Thread = new Thread(ServeInTurn, stackSize) { IsBackground = true, Name = "hftp-connection" };
    }

    public Thread Thread { get; }

    /// <summary>The connection object each client of this thread is accepted into and served by, in turn.</summary>
    public Connection Connection { get; }

    /// <summary>The connection handed to this thread and not yet ended; null while the thread waits.</summary>
    public Connection? Current => Volatile.Read(ref _current);

    // The owner's idle list, guarded by the owner's lock.
    internal ConnectionThread? NextIdle { get; set; }

    internal ConnectionThread? PreviousIdle { get; set; }

    internal bool IsIdle { get; set; }

    // The owner's surplus stack (see SurplusThreadStack).
    internal ConnectionThread? NextSurplus { get; set; }

    /// <summary>Starts a thread that waits for its connection; throws what <see cref="Thread.Start()"/> throws when there is none to have.</summary>
    public static ConnectionThread Start(ConnectionThreads owner, Action<Connection> run, int stackSize, Connection connection)
    {
        var thread = new ConnectionThread(owner, run, stackSize, connection);
        thread.Thread.Start();
        return thread;
    }

    /// <summary>Hands the thread its next connection; null lets it end.</summary>
    public void Assign(Connection? connection)
    {
        Volatile.Write(ref _current, connection);
        lock (_gate)
        {
            _handed = connection;
            _isHanded = true;
            Monitor.Pulse(_gate);
        }
    }

    private void ServeInTurn()
    {
        try
        {
            while (WaitForConnection() is { } connection)
            {
                _run(connection);
                Volatile.Write(ref _current, null);
                if (!_owner.TakeBack(this))
                {
                    return;
                }
            }
        }
        finally
        {
            _owner.Ended(this);
        }
    }

    // Null when handed nothing (the server is stopping) or when idle long enough to end as a surplus spare.
    private Connection? WaitForConnection()
    {
        while (true)
        {
            lock (_gate)
            {
                var woken = _isHanded || Monitor.Wait(_gate, _owner.IdleTime);
                if (_isHanded)
                {
                    _isHanded = false;
                    var connection = _handed;
                    _handed = null;
                    return connection;
                }

                if (woken)
                {
                    continue;
                }
            }

            if (_owner.TryRetire(this))
            {
                return null;
            }
        }
    }
}
