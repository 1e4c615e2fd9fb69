using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Hftp.Server.Files;
using Hftp.Server.Limits;
using Hftp.Server.Networking;
using Hftp.Server.Threads;
using Serilog;

namespace Hftp.Server;

/// <summary>A thread-per-connection HFTP server: an accept loop takes each client from a <see cref="TcpListener"/> and hands it,
/// as a <see cref="Connection"/>, to a thread of a <see cref="SpareThreadPool{TThreadState}"/> until it ends; at most
/// <see cref="MaxConnections"/> at once. A heartbeat on the <see cref="TimeProvider"/> enforces every deadline.</summary>
public sealed class HftpServer : IDisposable
{
    // After the shutdown timeout cut the rest, how long their threads get to close and log.
    private static readonly TimeSpan CutGrace = TimeSpan.FromSeconds(5);

    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly FileStore _files;
    private readonly TcpListener _listener;
    private readonly LiveConnections _connections = new();
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly Lock _stopLock = new();
    private readonly TimeoutReport _timeoutReport;
    private readonly WarningThrottle _capWarning;
    private readonly AcceptFailureReport _acceptFailures;
    // Made once: handing a connection to its thread allocates no delegate.
    private readonly Action<object?> _runConnection;
    private SpareThreadPool<ConnectionScratch>? _threads;
    private BurstCollector? _burstCollector;
    private ConnectionServices? _services;
    private ITimer? _heartbeat;
    private SemaphoreSlim? _slots;
    private Thread? _acceptThread;
    private IPEndPoint? _boundEndPoint;
    private volatile bool _stopping;
    private ShutdownSummary? _summary;

    public HftpServer(ServerOptions options, ILogger logger, TimeProvider? time = null)
    {
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _files = new FileStore(options.Directory, logger);
        _listener = new TcpListener(options.Address, options.Port);
        Metrics = new ServerMetrics(() => ActiveConnections, () => MaxConnections, () => (ThreadsAlive - ThreadsIdle, ThreadsIdle));
        _timeoutReport = new TimeoutReport(logger, TimeSpan.FromSeconds(1), _time);
        _capWarning = new WarningThrottle(options.WarningInterval, _time);
        _acceptFailures = new AcceptFailureReport(logger, options.WarningInterval, _time);
        _runConnection = RunConnection;
        if (options.Address.Equals(IPAddress.IPv6Any))
        {
            // "::" serves IPv4 clients too, as most servers do.
            _listener.Server.DualMode = true;
        }
    }

    /// <summary>Where the server listens; with port 0, the port the system picked. Still readable after <see cref="Stop"/>.</summary>
    public IPEndPoint LocalEndPoint => _boundEndPoint ?? (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The served directory, as an absolute path.</summary>
    public string Directory => _files.Root;

    public int ActiveConnections => _connections.Count;

    /// <summary>The most connections served at once since the server started.</summary>
    public int PeakConnections => _connections.Peak;

    /// <summary>Connections served at once: as configured, or derived from the process's limits at <see cref="Start"/>.</summary>
    public int MaxConnections { get; private set; }

    /// <summary>Connection threads alive now, serving a connection or idle.</summary>
    public int ThreadsAlive => _threads?.Alive ?? 0;

    /// <summary>Connection threads idle now, kept for the next connections.</summary>
    public int ThreadsIdle => _threads?.Idle ?? 0;

    /// <summary>Connection threads started since the server started.</summary>
    public long ThreadsStarted => _threads?.Started ?? 0;

    /// <summary>Diagnostics: connections whose thread is blocked on <paramref name="wait"/> now.</summary>
    internal int ConnectionsWaiting(Wait wait) => _connections.CountWaiting(wait);

    /// <summary>This server's instruments (meter <see cref="ServerMetrics.MeterName"/>).</summary>
    internal ServerMetrics Metrics { get; }

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> if the address is taken.</summary>
    public void Start()
    {
        // As long a queue as the kernel allows (net.core.somaxconn): clients past the cap wait in it.
        _listener.Start(backlog: int.MaxValue);
        _boundEndPoint = (IPEndPoint)_listener.LocalEndpoint;
        var buffers = ArrayPool<byte>.Create(_options.LargeReplyBufferSize, _options.RetainedLargeBuffers);
        var smallBuffers = ArrayPool<byte>.Create(_options.SmallReplyBufferSize, _options.RetainedSmallBuffers);
        MaxConnections = ConnectionLimit.Decide(_options.MaxConnections, _logger);
        _slots = new SemaphoreSlim(MaxConnections, MaxConnections);
        _threads = new(_options.MinSpareThreads, _options.MaxSpareThreads, _options.SpareThreadIdleTime, _options.ConnectionStackSize, _time,
            () => new ConnectionScratch(_services!), MaxConnections);
        var encoders = new SemaphoreSlim(_options.SliceEncoders, Math.Max(_options.SliceEncoders, 1));
        _services = new ConnectionServices(_options, _files, buffers, smallBuffers, _logger, Metrics, _timeoutReport, _time, _threads, encoders);
        _threads.Start();
        // A burst is more connections than the pool keeps threads for; it is over when no more are left than it keeps ready.
        _burstCollector = new BurstCollector(_threads.MaxSpare, _threads.MinSpare, _logger);
        _logger.Information(
            "Connection threads: {MinSpare} to {MaxSpare} kept idle for reuse (those beyond {MinSpare} end after {IdleSeconds:0.###} s idle), {StackKiB} KiB stack; {Encoders} slice encoder(s)",
            _threads.MinSpare, _threads.MaxSpare, _threads.MinSpare, _threads.IdleTime.TotalSeconds, _options.ConnectionStackSize / 1024, _options.SliceEncoders);
        var heartbeat = HeartbeatInterval(_options);
        _heartbeat = _time.CreateTimer(_ => Heartbeat(), null, heartbeat, heartbeat);
        if (!_files.Exists)
        {
            var workingDirectory = Environment.CurrentDirectory;
            _logger.Warning(
                "Served directory {Directory} does not exist{Origin:l}; serving nothing until it does. {Advice:l}",
                _files.Root, MissingDirectoryHint.Origin(_options.Directory, workingDirectory), MissingDirectoryHint.Advice(_options.Directory, workingDirectory));
        }

        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "hftp-accept" };
        _acceptThread.Start();
    }

    /// <summary>Stops accepting and drains: connections waiting for a request close at once, replies under way get up to the
    /// shutdown timeout to finish, then the rest are cut. Waits, bounded, for every connection to end, so every
    /// closing line is logged.</summary>
    public ShutdownSummary Stop()
    {
        lock (_stopLock)
        {
            if (_summary is not null)
            {
                return _summary;
            }

            // Drain first, then stop listening: a connection registered meanwhile sees _stopping and drains itself.
            _stopping = true;
            _threads?.Stop();
            _connections.ForEach(connection => connection.BeginDrain());
            _stopAccepting.Cancel();
            _listener.Stop();
            _acceptThread?.Join(CutGrace);

            // Real time, not the TimeProvider's: these wait for threads to finish, which only real time lets them do.
            SpinWait.SpinUntil(() => ActiveConnections == 0, _options.ShutdownTimeout);
            _connections.ForEach(connection => connection.Stop());
            SpinWait.SpinUntil(() => ActiveConnections == 0, CutGrace);
            _heartbeat?.Dispose();
            // Only a stop drains or cuts connections, so these counts are what this stop did.
            _summary = new ShutdownSummary((int)Metrics.ClosedBy(CloseReason.ShutdownAfterReply),
                (int)Metrics.ClosedBy(CloseReason.ShutdownWhileIdle), (int)Metrics.ClosedBy(CloseReason.ServerStopping));
            return _summary;
        }
    }

    public void Dispose()
    {
        Stop();
        _threads?.Dispose();
        _timeoutReport.Summarize(final: true);
        _stopAccepting.Dispose();
        Metrics.Dispose();
    }

    private void Heartbeat()
    {
        _connections.CheckDeadlines(_time.GetTimestamp());
        _timeoutReport.Summarize();
        // Surplus threads still ending hold their stacks and state: the burst is over once they are gone too.
        _burstCollector!.Observe(_connections.TakeRecentPeak(), ActiveConnections + _threads!.Surplus);
    }

    // A quarter of the shortest timeout, at most the configured interval, at least 10 ms. Not the linger: a lingering
    // close may take one beat longer, and an idle server wakes once a second for its heartbeat, not four times.
    private static TimeSpan HeartbeatInterval(ServerOptions options)
    {
        var shortest = new[] { options.IdleTimeout, options.RequestTimeout, options.SendTimeout }
            .Where(timeout => timeout != Timeout.InfiniteTimeSpan).DefaultIfEmpty(options.HeartbeatInterval).Min();
        return TimeSpan.FromTicks(Math.Clamp(Math.Min(shortest.Ticks / 4, options.HeartbeatInterval.Ticks), TimeSpan.TicksPerMillisecond * 10, long.MaxValue));
    }

    private void AcceptLoop()
    {
        while (!_stopping && WaitForRoom())
        {
            if (TryAccept() is not { } socket)
            {
                _slots!.Release();
                continue;
            }

            Metrics.ConnectionAccepted();

            // The system may refuse a thread (the task limit, memory): the client waits, connected, until one ends.
            PoolThread<ConnectionScratch>? thread;
            while ((thread = _threads!.TryTake()) is null)
            {
                _acceptFailures.Failed("no thread for a new connection (the task limit or memory)");
                if (_stopping || BackOff())
                {
                    var refused = new Connection(socket, new ConnectionScratch(_services!), _services!);
                    refused.Stop();
                    _connections.Add(refused);
                    RunConnection(refused);
                    return;
                }
            }

            // Made here, with the thread's scratch, so the connection thread allocates nothing to start (ConnectionScratch).
            var connection = new Connection(socket, thread.State, _services!);
            _connections.Add(connection);
            thread.Run(_runConnection, connection);
            if (_stopping)
            {
                connection.BeginDrain();
            }
        }
    }

    // At the cap, waits for a connection to end instead of accepting: clients queue in the listen backlog, as
    // nginx's do, and are accepted in order as room appears.
    private bool WaitForRoom()
    {
        if (_slots!.Wait(0))
        {
            return true;
        }

        Metrics.CapReached();
        if (_capWarning.Record(out var times))
        {
            _logger.Warning(
                "At the connection cap ({MaxConnections}): new clients wait in the listen backlog until a connection ends (reached {Times} time(s) since the last such warning)",
                MaxConnections, times);
        }

        try
        {
            _slots.Wait(_stopAccepting.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private Socket? TryAccept()
    {
        while (true)
        {
            try
            {
                var socket = _listener.AcceptSocket();
                _acceptFailures.Succeeded();
                return socket;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or InvalidOperationException && _stopping)
            {
                return null;
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // A client that reset while queued: accept(2) says to go on with the next.
            }
            catch (SocketException exception)
            {
                // Out of descriptors (EMFILE, ENFILE) or buffers: the client stays queued; wait for connections to end.
                _acceptFailures.Failed(exception.Message);
                BackOff();
                return null;
            }
        }
    }

    // True when the server stops meanwhile.
    private bool BackOff() => _stopAccepting.Token.WaitHandle.WaitOne(_options.BackOffTime);

    // The work a connection thread runs, the callback itself: under a blocked receive each frame is one more for every
    // collection to walk on each of 10,000 threads.
    private void RunConnection(object? work)
    {
        var connection = (Connection)work!;
        try
        {
            Metrics.ConnectionClosed(connection.Run());
        }
        finally
        {
            _connections.Remove(connection);
            _slots!.Release();
        }
    }
}
