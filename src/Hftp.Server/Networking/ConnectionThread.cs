namespace Hftp.Server.Networking;

/// <summary>
/// A connection's thread, started before its client is accepted: when the system has no thread to give, the
/// client is still waiting in the listen backlog instead of being accepted and dropped. Only started threads
/// exist as objects of this type, so shutdown never meets (or joins) a thread that did not start.
/// </summary>
internal sealed class ConnectionThread
{
    private readonly object _gate = new();
    private readonly Action<Connection> _run;
    private Connection? _connection;
    private bool _assigned;

    private ConnectionThread(Action<Connection> run, int stackSize)
    {
        _run = run;
        Thread = new Thread(WaitAndRun, stackSize) { IsBackground = true, Name = "hftp-connection" };
    }

    public Thread Thread { get; }

    /// <summary>Starts a thread that waits for its connection; throws what <see cref="Thread.Start()"/> throws when there is none to have.</summary>
    public static ConnectionThread Start(Action<Connection> run, int stackSize)
    {
        var thread = new ConnectionThread(run, stackSize);
        thread.Thread.Start();
        return thread;
    }

    /// <summary>Hands the thread its connection; null lets it end unused.</summary>
    public void Assign(Connection? connection)
    {
        lock (_gate)
        {
            _connection = connection;
            _assigned = true;
            Monitor.Pulse(_gate);
        }
    }

    private void WaitAndRun()
    {
        Connection? connection;
        lock (_gate)
        {
            while (!_assigned)
            {
                Monitor.Wait(_gate);
            }

            connection = _connection;
        }

        if (connection is not null)
        {
            _run(connection);
        }
    }
}
