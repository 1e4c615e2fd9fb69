using System.Collections.Concurrent;
using System.Diagnostics;
using Hftp.Server.Limits;
using Serilog;

namespace Hftp.Server.Networking;

/// <summary>
/// The server's connection threads: busy ones, each serving its connection, and idle ones waiting to be handed
/// the next. A thread whose connection ended goes back to waiting; past the spare maximum it waits as surplus, reused
/// first by later connections and otherwise, once the surplus could spare it for a whole second, ended at most
/// <see cref="EndRate"/> a second (after a burst of ten thousand,
/// ending them all at once took the runtime 5 to 8 s, during which a new burst waited seconds for threads, since
/// starting one waits for the same runtime lock). Idle threads beyond the spare count end after <see cref="IdleTime"/>. A
/// background thread keeps the spare count of idle threads started ahead of demand, so the accept loop seldom
/// waits for a thread to be created (creating one costs a few hundred microseconds; waking an idle one, a few).
/// There are never more threads than connections allowed at once, so the task limits the cap was derived from
/// still hold. LIFO: the thread that came back from a connection last is handed the next one (new spares queue
/// last), so the others can time out. Under a burst the spares are deepened: once a client has taken the last idle
/// thread, idle threads are kept started up to <see cref="BurstSpareThreads"/> for <see cref="IdleTime"/>, so a moment
/// in which threads are created more slowly than clients arrive (a collection, a busy core) is absorbed by the threads
/// ahead instead of queueing every new client, a fresh one among them, behind the accept loop creating threads one at
/// a time. (Measured: a slowloris opening 2,000 connections a second queued up to 78 clients in the listen backlog
/// with 16 spares, at most 5 with 256 ahead.)
/// A thread back from its connection past the spare maximum takes no lock here: when thousands of connections end in
/// the same instant (a slowloris shed by its timeout), thousands of threads contending for one lock convoy.
/// </summary>
internal sealed class ConnectionThreads
{
    // After the system refused a thread: when the spare maker tries again (the accept loop reports the failure).
    private static readonly TimeSpan RefusedBackOff = TimeSpan.FromMilliseconds(500);

    // While as many threads are alive as connections allowed, how often the spare maker looks again (threads that
    // end do not wake it).
    private static readonly TimeSpan FullRecheck = TimeSpan.FromMilliseconds(100);

    // While there is surplus, how often the spare maker ends some: small batches, so the runtime's teardown of ended
    // threads is spread out rather than a hundred at once.
    private static readonly TimeSpan EndInterval = TimeSpan.FromMilliseconds(10);

    // How long a surplus thread must go untaken before it may end. Under a steady churn the number of connections
    // open swings by dozens from one moment to the next: ended as soon as they came back, the threads of every swing
    // were started anew a moment later (about 4% of connections at 9,000 a second, 256 at once, got a new thread).
    private static readonly long UnusedBeforeEnding = Stopwatch.Frequency;

    private readonly object _lock = new();
    private readonly Action<Connection> _run;
    private readonly int _stackSize;
    private readonly Func<Connection> _makeConnection;
    private readonly Func<int> _maxThreads;
    private readonly ThreadReserve _runtimeReserve;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<ConnectionThread, bool> _live = new();
    private readonly IdleThreadList _idleThreads = new();
    private readonly SurplusThreadStack _surplus = new();
    private Thread? _spareMaker;
    private int _idle;
    private int _started;
    private int _alive;
    private long _burstUntil;

    // Surplus threads the spare maker may end now, and when it last added to that (see TakeSurplusDue).
    private double _endAllowance;
    private long _lastPaced = Stopwatch.GetTimestamp();

    // The fewest surplus threads there were since _unusedSince: so many went untaken all along (see TakeSurplusDue).
    private int _fewestSurplus;
    private long _unusedSince = Stopwatch.GetTimestamp();

    // Surplus threads found untaken for a whole UnusedBeforeEnding, not ended yet.
    private int _unused;
    private volatile bool _stopping;

    public ConnectionThreads(
        Action<Connection> run, int stackSize, Func<Connection> makeConnection, int spareThreads, int maxSpareThreads, TimeSpan idleTime,
        Func<int> maxThreads, ThreadReserve runtimeReserve, ILogger logger, int endRate)
    {
        EndRate = Math.Max(1, endRate);
        _run = run;
        _stackSize = stackSize;
        _makeConnection = makeConnection;
        SpareThreads = spareThreads;
        MaxSpareThreads = Math.Max(spareThreads, maxSpareThreads);
        IdleTime = idleTime;
        _maxThreads = maxThreads;
        _runtimeReserve = runtimeReserve;
        _logger = logger;
    }

    /// <summary>Idle threads kept started ahead of demand.</summary>
    public int SpareThreads { get; }

    /// <summary>Idle threads kept at most; a thread whose connection ends beyond this ends too.</summary>
    public int MaxSpareThreads { get; }

    /// <summary>How long an idle thread beyond <see cref="SpareThreads"/> waits for a connection before it ends.</summary>
    public TimeSpan IdleTime { get; }

    /// <summary>Surplus threads (past <see cref="MaxSpareThreads"/>) ended at most per second.</summary>
    public int EndRate { get; }

    /// <summary>Threads back from their connections past <see cref="MaxSpareThreads"/>, waiting to be reused or ended.</summary>
    public int Surplus => _surplus.Count;

    /// <summary>Threads alive now, by state; read without a lock, so the three may be a moment apart.</summary>
    public ThreadCounts Counts
    {
        get
        {
            var idle = Idle;
            var surplus = Surplus;
            return new ThreadCounts(Math.Max(0, Live - idle - surplus), idle, surplus);
        }
    }

    /// <summary>Threads started so far.</summary>
    public int Started => Volatile.Read(ref _started);

    /// <summary>Threads alive now, busy or idle.</summary>
    public int Live => Volatile.Read(ref _alive);

    public int Idle => Volatile.Read(ref _idle);

    /// <summary>
    /// Idle threads to keep started now: the spare count, or for a while after a burst used them all, the spare maximum
    /// less the spare count. That room is left for threads coming back from their connections: filled to the maximum,
    /// each thread back from a connection would find no room and end while a new one was started in its place.
    /// </summary>
    public int SpareTarget => Stopwatch.GetTimestamp() < Volatile.Read(ref _burstUntil) ? BurstSpareThreads : SpareThreads;

    /// <summary>Idle threads kept started for <see cref="IdleTime"/> after a burst took the last one.</summary>
    public int BurstSpareThreads => Math.Max(SpareThreads, MaxSpareThreads - SpareThreads);

    /// <summary>Starts the thread that keeps spares ahead of demand.</summary>
    public void Start()
    {
        _spareMaker = new Thread(MakeSpares, 128 * 1024) { IsBackground = true, Name = "hftp-spares" };
        _spareMaker.Start();
    }

    /// <summary>
    /// A thread for the next connection: a surplus one if any, else the first of <see cref="IdleThreadList"/>, or null when none is. <paramref name="afterClient"/>:
    /// a client was just handed the previous one, so finding none (or taking the last) means demand outran the spares.
    /// </summary>
    public ConnectionThread? TakeIdle(bool afterClient)
    {
        lock (_lock)
        {
            // A surplus thread first: it would otherwise be ended, and the idle list stays full.
            var surplus = _stopping ? null : _surplus.Pop();
            _fewestSurplus = Math.Min(_fewestSurplus, _surplus.Count);
            if (surplus is not null)
            {
                return surplus;
            }

            var thread = _idleThreads.First;
            // Not while the first spares are still being made: clients arriving just after the start are no burst.
            if (afterClient && _idle <= 1 && Started >= SpareThreads && !_stopping)
            {
                Volatile.Write(ref _burstUntil, Stopwatch.GetTimestamp() + (long)(IdleTime.TotalSeconds * Stopwatch.Frequency));
            }

            if (thread is null || _stopping)
            {
                Monitor.PulseAll(_lock);
                return null;
            }

            RemoveIdle(thread);
            if (_idle < SpareTarget)
            {
                Monitor.PulseAll(_lock);
            }

            return thread;
        }
    }

    /// <summary>Starts a thread for the caller to hand a connection; throws what <see cref="Thread.Start()"/> throws.</summary>
    public ConnectionThread StartThread()
    {
        var thread = ConnectionThread.Start(this, _run, _stackSize, _makeConnection());
        _live[thread] = true;
        Interlocked.Increment(ref _alive);
        Interlocked.Increment(ref _started);
        return thread;
    }

    /// <summary>Calls <paramref name="action"/> on every connection being served now.</summary>
    public void ForEachConnection(Action<Connection> action)
    {
        foreach (var thread in _live.Keys)
        {
            if (thread.Current is { } connection)
            {
                action(connection);
            }
        }
    }

    /// <summary>Ends the idle and surplus threads and the spare maker; busy threads end when their connection does.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopping = true;

            // Against a thread pushing itself as surplus meanwhile: it reads _stopping after its push, this pops after
            // the write, so one of the two ends it (see Park).
            Interlocked.MemoryBarrier();
            while (_idleThreads.First is { } thread)
            {
                RemoveIdle(thread);
                thread.Assign(null);
            }

            EndAllSurplus();
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>
    /// Waits, bounded, until the spare maker and every thread have left their loops (not for the runtime's teardown of
    /// each). The spare maker first: one that had just decided to make a spare when the stop came starts it after, and
    /// that thread, though it ends at once, was counted alive after the stop returned.
    /// </summary>
    public bool WaitForAllToEnd(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        if (_spareMaker is { } spareMaker && !spareMaker.Join(timeout))
        {
            return false;
        }

        var left = timeout - Stopwatch.GetElapsedTime(started);
        return SpinWait.SpinUntil(() => Live == 0, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    /// <summary>Called by a thread whose connection ended: true to wait for the next (idle or surplus), false to end.</summary>
    internal bool TakeBack(ConnectionThread thread) => TakeBack(thread, isNew: false);

    // A thread back from a connection goes first (handed the next client: its stack and caches are warm); a new spare
    // goes last (a thread's first connection costs a little more, its stack pages faulted in: 0.2 ms at the median
    // when new spares went first during a burst).
    private bool TakeBack(ConnectionThread thread, bool isNew)
    {
        if (_stopping)
        {
            return false;
        }

        // Most threads of a mass ending go to the surplus: they decide so without the lock. A new spare past the
        // maximum was not needed after all, and ends.
        if (Volatile.Read(ref _idle) >= MaxSpareThreads)
        {
            return !isNew && Park(thread);
        }

        lock (_lock)
        {
            if (_stopping)
            {
                return false;
            }

            if (_idle >= MaxSpareThreads)
            {
                return !isNew && Park(thread);
            }

            if (isNew)
            {
                _idleThreads.AddLast(thread);
            }
            else
            {
                _idleThreads.AddFirst(thread);
            }

            thread.IsIdle = true;
            Volatile.Write(ref _idle, _idle + 1);
            return true;
        }
    }

    /// <summary>Called by an idle thread that waited <see cref="IdleTime"/> for nothing: true if it is a surplus spare and ends.</summary>
    internal bool TryRetire(ConnectionThread thread)
    {
        lock (_lock)
        {
            // Taken by the accept loop a moment ago (its connection is on the way), or surplus (ended at its own pace).
            if (!thread.IsIdle || (_idle <= SpareTarget && !_stopping))
            {
                return false;
            }

            RemoveIdle(thread);
            return true;
        }
    }

    // A thread that ends is never idle: it left the idle list first (retired, or handed nothing by Stop).
    internal void Ended(ConnectionThread thread)
    {
        _live.TryRemove(thread, out _);
        Interlocked.Decrement(ref _alive);
    }

    // Lock-free (see SurplusThreadStack). A thread that pushed itself while Stop ran ends the surplus itself: either Stop's
    // pops see it, or it sees _stopping.
    private bool Park(ConnectionThread thread)
    {
        _surplus.Push(thread);
        if (_stopping)
        {
            lock (_lock)
            {
                EndAllSurplus();
            }
        }

        return true;
    }

    // Under _lock, when stopping. Hands every surplus thread nothing, so it ends.
    private void EndAllSurplus()
    {
        while (_surplus.Pop() is { } thread)
        {
            thread.Assign(null);
        }
    }

    // Under _lock, each time the spare maker wakes: the surplus threads due to end at EndRate a second (at most one
    // EndInterval's worth at once), popped and chained through NextSurplus for EndAll to end outside the lock. Only
    // threads that went untaken for a whole UnusedBeforeEnding are due: as many as the surplus never fell below then.
    private ConnectionThread? TakeSurplusDue()
    {
        var now = Stopwatch.GetTimestamp();
        var elapsed = (double)(now - _lastPaced) / Stopwatch.Frequency;
        _lastPaced = now;
        if (now - _unusedSince >= UnusedBeforeEnding)
        {
            _unused = Math.Min(_fewestSurplus, _surplus.Count);
            _fewestSurplus = _surplus.Count;
            _unusedSince = now;
        }

        if (_surplus.Count == 0 || _unused == 0)
        {
            _endAllowance = 0;
            return null;
        }

        _endAllowance = Math.Min(_endAllowance + (elapsed * EndRate), Math.Max(1, EndRate * EndInterval.TotalSeconds));
        ConnectionThread? due = null;
        while (_endAllowance >= 1 && _unused > 0 && _surplus.Pop() is { } thread)
        {
            thread.NextSurplus = due;
            due = thread;
            _endAllowance--;
            _unused--;
        }

        return due;
    }

    // Hands each thread of the chain nothing, so it ends.
    private static void EndAll(ConnectionThread? chain)
    {
        while (chain is not null)
        {
            var next = chain.NextSurplus;
            chain.NextSurplus = null;
            chain.Assign(null);
            chain = next;
        }
    }

    private void RemoveIdle(ConnectionThread thread)
    {
        _idleThreads.Remove(thread);
        thread.IsIdle = false;
        Volatile.Write(ref _idle, _idle - 1);
    }

    // Off the accept loop's path: creates idle threads while fewer than the spare count wait, never more threads
    // than connections allowed, and only while the runtime's reserve of threads is held; ends surplus threads at pace.
    private void MakeSpares()
    {
        while (true)
        {
            ConnectionThread? due = null;
            lock (_lock)
            {
                while (!_stopping && (_idle >= SpareTarget || Live >= _maxThreads()) && (due = TakeSurplusDue()) is null)
                {
                    Monitor.Wait(_lock, _surplus.Count > 0 ? EndInterval : FullRecheck);
                }
            }

            // Outside the lock: a woken thread may take this one's core, and the accept loop must not wait for it then.
            EndAll(due);
            if (_stopping)
            {
                return;
            }

            if (due is not null)
            {
                continue;
            }

            if (!TryMakeSpare())
            {
                var until = Stopwatch.GetTimestamp() + (long)(RefusedBackOff.TotalSeconds * Stopwatch.Frequency);
                lock (_lock)
                {
                    while (!_stopping && Stopwatch.GetTimestamp() < until)
                    {
                        Monitor.Wait(_lock, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until));
                    }
                }
            }
        }
    }

    private bool TryMakeSpare()
    {
        if (!_runtimeReserve.IsFull && !_runtimeReserve.TryFill())
        {
            return false;
        }

        ConnectionThread thread;
        try
        {
            thread = StartThread();
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException)
        {
            // The accept loop meets the same refusal when it needs a thread, and reports it; the runtime gets its
            // reserve at once.
            _runtimeReserve.Release();
            _logger.Debug("Could not start a spare connection thread: {Error}", exception.Message);
            return false;
        }

        if (!TakeBack(thread, isNew: true))
        {
            thread.Assign(null);
        }

        return true;
    }
}
