using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hftp.Server.Files;
using Hftp.Server.Networking;
using Serilog;

namespace Hftp.Server;

/// <summary>
/// A thread-per-connection HFTP server: an accept loop on its own thread hands each client to a dedicated,
/// named, background thread running a <see cref="Connection"/>. It can be started on port 0 and stopped
/// from code; it owns its threads and sockets and closes them all on <see cref="Stop"/>.
/// </summary>
public sealed class HftpServer : IDisposable
{
    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private readonly FileStore _files;
    private readonly ConcurrentDictionary<long, (Connection Connection, Thread Thread)> _connections = new();
    private readonly TcpListener _listener;
    private readonly AcceptFailureReport _acceptFailures;
    private Thread? _acceptThread;
    private long _nextConnectionId;
    private volatile bool _stopping;

    public HftpServer(ServerOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _files = new FileStore(options.Directory, logger);
        _listener = new TcpListener(options.Address, options.Port);
        _acceptFailures = new AcceptFailureReport(logger, AcceptFailureReport.DefaultInterval);
        if (options.Address.Equals(IPAddress.IPv6Any))
        {
            // "::" serves IPv4 clients too, as most servers do.
            _listener.Server.DualMode = true;
        }
    }

    /// <summary>Where the server listens; with port 0, the port the system picked.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The served directory, as an absolute path.</summary>
    public string Directory => _files.Root;

    public int ActiveConnections => _connections.Count;

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> if the address is taken.</summary>
    public void Start()
    {
        _listener.Start(backlog: 512);
        if (!_files.Exists)
        {
            _logger.Warning("Served directory {Directory} does not exist yet; serving nothing until it does", _files.Root);
        }

        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "hftp-accept" };
        _acceptThread.Start();
    }

    /// <summary>Stops accepting, ends every connection, and waits (bounded) for their threads.</summary>
    public void Stop(TimeSpan? timeout = null)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _listener.Stop();
        var deadline = Stopwatch.GetTimestamp() + (long)((timeout ?? TimeSpan.FromSeconds(2)).TotalSeconds * Stopwatch.Frequency);
        _acceptThread?.Join(Remaining(deadline));
        foreach (var (connection, _) in _connections.Values)
        {
            connection.Stop();
        }

        foreach (var (_, thread) in _connections.Values)
        {
            thread.Join(Remaining(deadline));
        }
    }

    public void Dispose() => Stop();

    private static TimeSpan Remaining(long deadline)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.AcceptSocket();
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                if (_stopping)
                {
                    return;
                }

                // Out of file descriptors and the like: say so (once, not per retry), back off a moment, keep serving.
                _acceptFailures.Failed(exception);
                Thread.Sleep(50);
                continue;
            }

            StartConnection(client);
        }
    }

    private void StartConnection(Socket client)
    {
        var id = Interlocked.Increment(ref _nextConnectionId);
        try
        {
            client.NoDelay = true;
            var connection = new Connection(id, client, _files, _options.MaxRequestLineLength, _logger);
            var thread = new Thread(() => RunConnection(connection), _options.ConnectionStackSize)
            {
                IsBackground = true,
                Name = $"hftp-connection-{id}",
            };
            _connections[id] = (connection, thread);
            thread.Start();
            _acceptFailures.Succeeded();
            if (_stopping)
            {
                connection.Stop();
            }
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException or SocketException)
        {
            _connections.TryRemove(id, out _);
            _acceptFailures.Failed(exception);
            client.Dispose();
        }
    }

    private void RunConnection(Connection connection)
    {
        try
        {
            connection.Run();
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
        }
    }
}
