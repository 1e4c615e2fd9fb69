using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Hftp.Server.Files;
using Hftp.Server.Limits;
using Hftp.Server.Networking;
using Serilog;

namespace Hftp.Server;

/// <summary>
/// A thread-per-connection HFTP server: an accept loop on its own thread hands each client to a dedicated,
/// named, background thread running a <see cref="Connection"/> for the connection's whole life; a thread whose
/// connection ended waits for the next one (see <see cref="ConnectionThreads"/>). It takes at most <see cref="MaxConnections"/>
/// clients at once (the rest wait in the listen backlog), backs off instead of failing when the system runs out
/// of threads or descriptors, and on <see cref="Stop"/> drains: replies under way finish, idle clients close.
/// </summary>
public sealed class HftpServer : IDisposable
{
    // Time without accepting after the system refused a thread or a descriptor: some connection may end meanwhile.
    private static readonly TimeSpan BackOffTime = TimeSpan.FromMilliseconds(500);

    // One line per interval for each recurring condition, however many clients meet it.
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    // After the shutdown timeout cut the rest, how long their threads get to close and log.
    private static readonly TimeSpan CutGrace = TimeSpan.FromSeconds(5);

    private readonly ServerOptions _options;
    private readonly ILogger _logger;
    private readonly FileStore _files;
    private readonly ConnectionTimeouts _timeouts;
    private readonly TimeoutReport _timeoutReport;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly WarningThrottle _capWarning = new(WarningInterval);
    private readonly Lock _stopLock = new();

    // Threads held for the runtime, let go when the system refuses the server one (see ThreadReserve).
    private readonly ThreadReserve _runtimeReserve = new(size: 8);
    private readonly ServerMetrics _metrics;
    private IPEndPoint? _boundEndPoint;
    private SemaphoreSlim? _slots;
    private readonly AcceptFailureReport _acceptFailures;
    private Thread? _acceptThread;
    private ConnectionThreads? _threads;
    private SliceEncoders? _sliceEncoders;
    private volatile bool _stopping;
    private int _activeConnections;
    private int _peakConnections;
    private int _finishedReplies;
    private int _closedIdle;
    private int _cut;
    private ShutdownSummary? _summary;

    public HftpServer(ServerOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _files = new FileStore(options.Directory, options.FileBackEnd, logger);
        _timeouts = ConnectionTimeouts.From(options);
        _timeoutReport = new TimeoutReport(logger, TimeoutReport.DefaultInterval);
        _listener = new TcpListener(options.Address, options.Port);
        _acceptFailures = new AcceptFailureReport(logger, WarningInterval);
        _metrics = new ServerMetrics(
            () => Volatile.Read(ref _activeConnections), () => MaxConnections, () => ConnectionThreadCounts);
        if (options.Address.Equals(IPAddress.IPv6Any))
        {
            // "::" serves IPv4 clients too, as most servers do.
            _listener.Server.DualMode = true;
        }
    }

    /// <summary>
    /// Where the server listens; with port 0, the port the system picked. Kept from <see cref="Start"/>, so it stays
    /// readable while and after <see cref="Stop"/> closes the listener.
    /// </summary>
    public IPEndPoint LocalEndPoint => _boundEndPoint ?? (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The served directory, as an absolute path.</summary>
    public string Directory => _files.Root;

    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Connections holding a receive buffer right now: idle ones should hold none.</summary>
    internal int ConnectionsHoldingReceiveBuffer
    {
        get
        {
            var holding = 0;
            _threads?.ForEachConnection(connection => holding += connection.HoldsReceiveBuffer ? 1 : 0);
            return holding;
        }
    }

    /// <summary>The most connections served at once since the server started.</summary>
    public int PeakConnections => Volatile.Read(ref _peakConnections);

    /// <summary>Connections served at once: as configured, or derived from the process's limits at <see cref="Start"/>.</summary>
    public int MaxConnections { get; private set; }

    /// <summary>Connection threads started since the server started (each serves one or more connections in turn).</summary>
    internal int ConnectionThreadsStarted => _threads?.Started ?? 0;

    /// <summary>Connection threads alive now, serving a connection or waiting for one.</summary>
    public int ConnectionThreadsAlive => _threads?.Live ?? 0;

    /// <summary>Connection threads alive now, by state (busy, idle, surplus).</summary>
    internal ThreadCounts ConnectionThreadCounts => _threads?.Counts ?? default;

    /// <summary>Slices a slice encoder helped with so far.</summary>
    internal long SlicesEncodedAhead => _sliceEncoders?.SlicesHelped ?? 0;

    /// <summary>This server's instruments (meter <see cref="ServerMetrics.MeterName"/>).</summary>
    internal ServerMetrics Metrics => _metrics;

    /// <summary>Binds and starts accepting. Throws <see cref="SocketException"/> if the address is taken.</summary>
    public void Start()
    {
        // As long a queue as the kernel allows (net.core.somaxconn): clients past the cap wait in it.
        _listener.Start(backlog: int.MaxValue);
        // Before the limits are read, so the encoders' threads count as in use.
        _sliceEncoders = new SliceEncoders(
            _options.SliceEncoders ?? SliceEncoders.DefaultCount, _options.MinimumEncodedAheadSliceSize, _logger);
        _logger.Information(
            "Slice encoders: {Count} (slices of {MinimumMiB} MiB or more are read and encoded on another core while their connection thread sends)",
            _sliceEncoders.Count, _sliceEncoders.MinimumSliceSize / (1024.0 * 1024));
        MaxConnections = DecideMaxConnections();
        _slots = new SemaphoreSlim(MaxConnections, MaxConnections);
        _runtimeReserve.TryFill();
        _threads = new ConnectionThreads(
            RunConnection, _options.ConnectionStackSize, MakeConnection, _options.SpareThreads, _options.MaxSpareThreads,
            _options.SpareThreadIdleTime, () => MaxConnections, _runtimeReserve, _logger, _options.ThreadEndRate);
        _logger.Information(
            "Connection threads: {Spare} started ahead of demand, up to {MaxSpare} kept idle for reuse (those beyond {Spare} end after {IdleSeconds:0.###} s idle, those beyond {MaxSpare} at most {EndRate} a second), {StackKiB} KiB stack",
            _threads.SpareThreads, _threads.MaxSpareThreads, _threads.SpareThreads, _threads.IdleTime.TotalSeconds, _threads.MaxSpareThreads, _threads.EndRate,
            _options.ConnectionStackSize / 1024);
        _threads.Start();
        _boundEndPoint = (IPEndPoint)_listener.LocalEndpoint;
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

    /// <summary>
    /// Stops accepting and drains: connections waiting for a request close at once, replies under way get up to
    /// <paramref name="timeout"/> (default: the shutdown timeout option) to finish, then the rest are cut.
    /// Waits, bounded, for every connection to end, so every closing line is logged.
    /// </summary>
    public ShutdownSummary Stop(TimeSpan? timeout = null)
    {
        lock (_stopLock)
        {
            if (_summary is not null)
            {
                return _summary;
            }

            // Drain first, then stop listening: once the listener is closed every connection knows it is draining
            // (one registered meanwhile sees _stopping and drains itself).
            _stopping = true;
            var drainDeadline = Deadline(timeout ?? _options.ShutdownTimeout);
            _threads?.Stop();
            _threads?.ForEachConnection(connection => connection.BeginDrain());

            _stopAccepting.Cancel();
            _listener.Stop();
            _acceptThread?.Join(CutGrace);

            WaitForConnectionsToEnd(drainDeadline);
            _threads?.ForEachConnection(connection => connection.Stop());

            WaitForConnectionsToEnd(Deadline(CutGrace));
            _threads?.WaitForAllToEnd(Remaining(Deadline(CutGrace)));
            _runtimeReserve.Release();
            _summary = new ShutdownSummary(_finishedReplies, _closedIdle, _cut);
            return _summary;
        }
    }

    public void Dispose()
    {
        Stop();
        _sliceEncoders?.Dispose();
        _timeoutReport.Dispose();
        _stopAccepting.Dispose();
        _metrics.Dispose();
    }

    private static long Deadline(TimeSpan timeout) =>
        Stopwatch.GetTimestamp() + (long)(Math.Max(0, timeout.TotalSeconds) * Stopwatch.Frequency);

    private static TimeSpan Remaining(long deadline)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    // Waits until every connection has closed and logged its closing line; not for each thread's teardown too,
    // which the runtime serializes and which takes seconds for ten thousand threads.
    private void WaitForConnectionsToEnd(long deadline) =>
        SpinWait.SpinUntil(() => Volatile.Read(ref _activeConnections) == 0, Remaining(deadline));

    private int DecideMaxConnections()
    {
        var (allowed, explanation) = ConnectionLimit.Derive(SystemLimits.Read());
        if (_options.MaxConnections is not { } configured)
        {
            _logger.Information("Max connections {MaxConnections} ({Explanation})", allowed, explanation);
            return allowed;
        }

        if (configured <= allowed)
        {
            _logger.Information("Max connections {MaxConnections} (as configured; the limits allow {Allowed})", configured, allowed);
            return configured;
        }

        // Past the limits the runtime itself runs out of descriptors or threads and aborts: never go there.
        _logger.Warning(
            "Max connections {MaxConnections} (configured {Configured}, more than the limits allow, {Explanation}); raise the limits to serve more",
            allowed, configured, explanation);
        return allowed;
    }

    private void AcceptLoop()
    {
        ConnectionThread? spare = null;
        var afterClient = false;
        try
        {
            while (!_stopping)
            {
                if (!WaitForRoom())
                {
                    return;
                }

                // The thread first: if the system has none to give, the client stays in the backlog, unharmed. An
                // idle thread if there is one; one started now only when a burst used up the spares.
                spare ??= _threads!.TakeIdle(afterClient) ?? TryStartThread();
                if (spare is null || !TryAccept(spare.Connection))
                {
                    _slots!.Release();
                    continue;
                }

                afterClient = true;
                StartConnection(spare);
                spare = null;
            }
        }
        finally
        {
            spare?.Assign(null);
        }
    }

    // Each connection thread's own connection object, which every client it serves is accepted into in turn.
    private Connection MakeConnection() => new(
        new ConnectionParts(_options.MaxRequestLineLength, _files, _sliceEncoders!, _logger), _logger, _timeouts, _options.ProxyProtocol,
        _timeoutReport, _metrics);

    // At the cap, waits for a connection to end instead of accepting: clients queue in the listen backlog, as
    // nginx's do, and are accepted in order as room appears.
    private bool WaitForRoom()
    {
        if (_slots!.Wait(0))
        {
            return true;
        }

        _metrics.CapReached();
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

    private ConnectionThread? TryStartThread()
    {
        if (!_runtimeReserve.IsFull && !_runtimeReserve.TryFill())
        {
            RefusedThread("no room to keep threads in reserve for the runtime");
            return null;
        }

        try
        {
            return _threads!.StartThread();
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException)
        {
            // The task limit (RLIMIT_NPROC, threads-max, pids.max) or memory: give the runtime our reserve at
            // once, then wait for connections to end.
            _runtimeReserve.Release();
            RefusedThread(AcceptFailureReport.Describe(exception));
            return null;
        }
    }

    // Said once when it starts, summarized while it lasts (with failures to accept), not logged per retry.
    private void RefusedThread(string error)
    {
        _acceptFailures.Failed(error);
        BackOff();
    }

    // Accepts the next client into the spare thread's connection: on Linux without allocating (see ClientSocket).
    private bool TryAccept(Connection connection)
    {
        while (true)
        {
            var error = connection.Accept(_listener.Server);
            if (error == SocketError.Success)
            {
                return true;
            }

            if (_stopping)
            {
                return false;
            }

            // A client that reset while queued, or a network error pending on it (accept(2) says to retry these).
            if (error is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.ProtocolType
                or SocketError.NetworkDown or SocketError.NetworkUnreachable or SocketError.HostUnreachable)
            {
                continue;
            }

            // Out of descriptors (EMFILE, ENFILE) or buffers: the client stays queued; wait for connections to end.
            // Said once when it starts, summarized while it lasts, not logged per retry.
            _acceptFailures.Failed(new SocketException((int)error));
            BackOff();
            return false;
        }
    }

    private void BackOff() => _stopAccepting.Token.WaitHandle.WaitOne(BackOffTime);

    private void StartConnection(ConnectionThread thread)
    {
        var active = Interlocked.Increment(ref _activeConnections);
        InterlockedMax(ref _peakConnections, active);
        _metrics.ConnectionAccepted();
        thread.Assign(thread.Connection);
        _acceptFailures.Succeeded();
        if (_stopping)
        {
            thread.Connection.BeginDrain();
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void RunConnection(Connection connection)
    {
        try
        {
            var reason = connection.Run();
            _metrics.ConnectionClosed(reason);
            switch (reason)
            {
                case CloseReason.ShutdownAfterReply:
                    Interlocked.Increment(ref _finishedReplies);
                    break;
                case CloseReason.ShutdownWhileIdle:
                    Interlocked.Increment(ref _closedIdle);
                    break;
                case CloseReason.ServerStopping:
                    Interlocked.Increment(ref _cut);
                    break;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _activeConnections);
            _slots!.Release();
        }
    }
}
