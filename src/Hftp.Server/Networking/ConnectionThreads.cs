using System.Collections.Concurrent;
using System.Diagnostics;
using Hftp.Server.Limits;
using Serilog;

namespace Hftp.Server.Networking;

/// <summary>
/// The server's connection threads: busy ones, each serving its connection, and idle ones waiting to be handed
/// the next. A thread whose connection ended goes back to waiting, unless as many are idle already as the spare
/// maximum (then it ends at once); idle threads beyond the spare count end after <see cref="IdleTime"/>. A
/// background thread keeps the spare count of idle threads started ahead of demand, so the accept loop seldom
/// waits for a thread to be created (creating one costs a few hundred microseconds; waking an idle one, a few).
/// There are never more threads than connections allowed at once, so the task limits the cap was derived from
/// still hold. LIFO: the thread that went idle last is handed the next connection, so the others can time out.
/// A thread that ends takes no lock here: when thousands of connections end in the same instant (a slowloris shed by
/// its timeout), thousands of threads contending for one lock convoy.
/// </summary>
internal sealed class ConnectionThreads
{
    // After the system refused a thread: when the spare maker tries again (the accept loop reports the failure).
    private static readonly TimeSpan RefusedBackOff = TimeSpan.FromMilliseconds(500);

    // While as many threads are alive as connections allowed, how often the spare maker looks again (threads that
    // end do not wake it).
    private static readonly TimeSpan FullRecheck = TimeSpan.FromMilliseconds(100);

    private readonly object _lock = new();
    private readonly Action<Connection> _run;
    private readonly int _stackSize;
    private readonly Func<ConnectionParts> _makeParts;
    private readonly Func<int> _maxThreads;
    private readonly ThreadReserve _runtimeReserve;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<ConnectionThread, bool> _live = new();
    private Thread? _spareMaker;
    private ConnectionThread? _idleHead;
    private int _idle;
    private int _started;
    private int _alive;
    private volatile bool _stopping;

    public ConnectionThreads(
        Action<Connection> run, int stackSize, Func<ConnectionParts> makeParts, int spareThreads, int maxSpareThreads, TimeSpan idleTime,
        Func<int> maxThreads, ThreadReserve runtimeReserve, ILogger logger)
    {
        _run = run;
        _stackSize = stackSize;
        _makeParts = makeParts;
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

    /// <summary>Threads started so far.</summary>
    public int Started => Volatile.Read(ref _started);

    /// <summary>Threads alive now, busy or idle.</summary>
    public int Live => Volatile.Read(ref _alive);

    public int Idle => Volatile.Read(ref _idle);

    /// <summary>Starts the thread that keeps spares ahead of demand.</summary>
    public void Start()
    {
        _spareMaker = new Thread(MakeSpares, 128 * 1024) { IsBackground = true, Name = "hftp-spares" };
        _spareMaker.Start();
    }

    /// <summary>An idle thread for the next connection (the one idle last), or null when none is.</summary>
    public ConnectionThread? TakeIdle()
    {
        lock (_lock)
        {
            var thread = _idleHead;
            if (thread is null || _stopping)
            {
                return null;
            }

            RemoveIdle(thread);
            if (_idle < SpareThreads)
            {
                Monitor.PulseAll(_lock);
            }

            return thread;
        }
    }

    /// <summary>Starts a thread for the caller to hand a connection; throws what <see cref="Thread.Start()"/> throws.</summary>
    public ConnectionThread StartThread()
    {
        var thread = ConnectionThread.Start(this, _run, _stackSize, _makeParts());
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

    /// <summary>Ends the idle threads and the spare maker; busy threads end when their connection does.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopping = true;
            while (_idleHead is { } thread)
            {
                RemoveIdle(thread);
                thread.Assign(null);
            }

            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits, bounded, until every thread has left its loop (not for the runtime's teardown of each).</summary>
    public bool WaitForAllToEnd(TimeSpan timeout) => SpinWait.SpinUntil(() => Live == 0, timeout);

    /// <summary>Called by a thread whose connection ended: true to wait for the next, false to end.</summary>
    internal bool TakeBack(ConnectionThread thread)
    {
        // Most threads of a mass ending end: they decide so without the lock.
        if (_stopping || Volatile.Read(ref _idle) >= MaxSpareThreads)
        {
            return false;
        }

        lock (_lock)
        {
            if (_stopping || _idle >= MaxSpareThreads)
            {
                return false;
            }

            thread.NextIdle = _idleHead;
            thread.PreviousIdle = null;
            if (_idleHead is not null)
            {
                _idleHead.PreviousIdle = thread;
            }

            _idleHead = thread;
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
            // Taken by the accept loop a moment ago: its connection is on the way.
            if (!thread.IsIdle || (_idle <= SpareThreads && !_stopping))
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

    private void RemoveIdle(ConnectionThread thread)
    {
        if (thread.PreviousIdle is null)
        {
            _idleHead = thread.NextIdle;
        }
        else
        {
            thread.PreviousIdle.NextIdle = thread.NextIdle;
        }

        if (thread.NextIdle is not null)
        {
            thread.NextIdle.PreviousIdle = thread.PreviousIdle;
        }

        thread.NextIdle = thread.PreviousIdle = null;
        thread.IsIdle = false;
        Volatile.Write(ref _idle, _idle - 1);
    }

    // Off the accept loop's path: creates idle threads while fewer than the spare count wait, never more threads
    // than connections allowed, and only while the runtime's reserve of threads is held.
    private void MakeSpares()
    {
        while (true)
        {
            lock (_lock)
            {
                while (!_stopping && (_idle >= SpareThreads || Live >= _maxThreads()))
                {
                    Monitor.Wait(_lock, FullRecheck);
                }

                if (_stopping)
                {
                    return;
                }
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

        if (!TakeBack(thread))
        {
            thread.Assign(null);
        }

        return true;
    }
}
