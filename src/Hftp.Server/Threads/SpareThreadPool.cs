namespace Hftp.Server.Threads;

/// <summary>Connection threads, reused in Apache's model (worker MPM): a thread whose connection ended waits idle for the next.
/// A keeper thread starts threads while fewer than <see cref="MinSpare"/> are idle, and once a second (on the
/// <see cref="TimeProvider"/>) ends those beyond it idle longer than the idle time; one whose connection ends while
/// <see cref="MaxSpare"/> are idle waits as surplus, ended gradually. With none idle, the caller starts one on the spot.
/// Each thread has a <typeparamref name="TThreadState"/>, made where it is started, lent to every work it runs. In a
/// burst (a caller took the last idle thread) the keeper keeps <see cref="BurstSpare"/> idle for the idle time, as Apache
/// spawns faster while spares run short: a thread takes most of a millisecond to start with thousands alive, and at 2,000
/// connections a second 16 spares ran out (slowloris 10,000, fresh-client p99: docs/performance.md).</summary>
internal sealed class SpareThreadPool<TThreadState> : IDisposable
    where TThreadState : class
{
    // Threads back from a connection while MaxSpare are idle wait as surplus, reused first, else ended 10 every 10 ms
    // (1,000 a second), as Apache ends spares beyond its maximum gradually: 2,000 ending at once (a slowloris shed by its
    // timeout) stalled every other thread. Linked through each thread's own node, under a Monitor (a contended Lock
    // allocates), so going surplus allocates nothing: after a collection each thread's first allocation takes a fresh
    // allocation context, and a ConcurrentQueue growing on the threads of a shed set off 5 more collections, each
    // stopping all 10,000 threads (docs/performance.md, History).
    private const int EndedPerTick = 10;
    private static readonly TimeSpan EndTick = TimeSpan.FromMilliseconds(10);
    private readonly LinkedList<PoolThread<TThreadState>> _surplus = new();
    private readonly object _surplusLock = new();
    private readonly ITimer _endSurplus;
    private bool _endingSurplus;

    // Most recently idle last: the next connection takes the thread that ran last (its stack is warm), and the
    // threads at the front are the ones idle longest, which the keeper ends first.
    private readonly LinkedList<PoolThread<TThreadState>> _idle = new();
    // A Monitor, because the keeper also waits on it to be woken (SemaphoreSlim would spin, sched_yield, first).
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly int _stackSize;
    private readonly int _maxThreads;
    private readonly ITimer _reclaim;
    private readonly Func<TThreadState> _makeState;
    private bool _keeperRequested;
    private long _burstUntil;
    private int _alive;
    private long _started;
    private bool _stopped;

    /// <param name="maxThreads">The keeper starts no thread past it (the connection cap): idle threads beyond it serve no one.</param>
    public SpareThreadPool(int minSpare, int maxSpare, TimeSpan idleTime, int stackSize, TimeProvider time, Func<TThreadState> makeState, int maxThreads = int.MaxValue)
    {
        _maxThreads = maxThreads;
        _makeState = makeState;
        MinSpare = minSpare;

        // Room for one more than the minimum (Apache requires MaxSpareThreads >= MinSpareThreads + ThreadsPerChild):
        // with the two equal, each client took the spare, the keeper started one, and the client's thread then ended.
        MaxSpare = minSpare == 0 ? maxSpare : Math.Max(maxSpare, minSpare + 1);
        IdleTime = idleTime;
        _stackSize = stackSize;
        _time = time;
        _reclaim = time.CreateTimer(_ => WakeKeeper(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _endSurplus = time.CreateTimer(_ => EndSurplus(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public int MinSpare { get; }

    public int MaxSpare { get; }

    /// <summary>Idle threads kept during a burst, leaving room up to <see cref="MaxSpare"/> for threads coming back; none without spares.</summary>
    public int BurstSpare => MinSpare == 0 ? 0 : Math.Max(MinSpare, MaxSpare - MinSpare);

    public TimeSpan IdleTime { get; }

    /// <summary>Threads alive now: busy with a connection or idle.</summary>
    public int Alive => Volatile.Read(ref _alive);

    /// <summary>Threads waiting for a connection (a gauge: read without the locks, a moment stale at worst).</summary>
    public int Idle => _idle.Count + Surplus;

    /// <summary>Threads back past <see cref="MaxSpare"/> idle, waiting to be reused or ended.</summary>
    public int Surplus => _surplus.Count;

    /// <summary>Threads started since the pool was made.</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>Starts the keeper, which starts the <see cref="MinSpare"/> threads, and its once-a-second idle reclaim.</summary>
    public void Start()
    {
        new Thread(Keep, 128 * 1024) { IsBackground = true, Name = "hftp-spares" }.Start();
        WakeKeeper();
        _reclaim.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Takes an idle thread (surplus first), or starts one when none is idle, for the caller to prepare work with its
    /// <see cref="PoolThread{TThreadState}.State"/> and hand it over (<see cref="PoolThread{TThreadState}.Run"/>).
    /// Null when the system refuses a new thread (the task limit or memory): the caller waits for a connection to end.</summary>
    public PoolThread<TThreadState>? TryTake()
    {
        // Most recently back last: a connection takes the warmest thread, the timer ends those back longest. Only if
        // the lock is free: in a shed thousands of threads queue on it to go surplus, and the accept thread behind them
        // kept fresh clients waiting 298-306 ms; an idle or new thread serves instead (10-38 ms, old server 7-12 ms:
        // bench/slowloris-gc.sh, p99 in the shed's first 5 s, 2026-12-07 22:28 UTC).
        if (Monitor.TryEnter(_surplusLock))
        {
            try
            {
                if (_surplus.Last is { } newest)
                {
                    _surplus.RemoveLast();
                    return newest.Value;
                }
            }
            finally
            {
                Monitor.Exit(_surplusLock);
            }
        }

        PoolThread<TThreadState>? worker = null;
        lock (_lock)
        {
            if (_idle.Last is { } last)
            {
                worker = last.Value;
                _idle.RemoveLast();
            }

            // Not while the first spares are still being started: clients just after the start are no burst.
            var now = _time.GetTimestamp();
            if (_idle.Count == 0 && MinSpare > 0 && Started >= MinSpare)
            {
                _burstUntil = now + (long)(IdleTime.TotalSeconds * _time.TimestampFrequency);
            }

            if (_idle.Count < SpareTarget(now))
            {
                WakeKeeper();
            }
        }

        return worker ?? TryStartThread();
    }

    /// <summary>Ends the idle threads and the keeper; busy threads end when their connections do.</summary>
    public void Stop()
    {
        _reclaim.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        List<PoolThread<TThreadState>> ending;
        lock (_lock)
        {
            _stopped = true;
            ending = [.. _idle];
            _idle.Clear();
        }

        ending.ForEach(worker => worker.End());
        EndSurplus(int.MaxValue);
        WakeKeeper();
    }

    public void Dispose()
    {
        Stop();
        _reclaim.Dispose();
        _endSurplus.Dispose();
    }

    // Once however many ask before the keeper runs.
    private void WakeKeeper()
    {
        lock (_lock)
        {
            _keeperRequested = true;
            Monitor.Pulse(_lock);
        }
    }

    // Ends the threads idle too long beyond MinSpare (the longest idle first), then starts threads until MinSpare are idle.
    private void Keep()
    {
        while (true)
        {
            var ending = new List<PoolThread<TThreadState>>();
            int missing;
            lock (_lock)
            {
                while (!_keeperRequested)
                {
                    Monitor.Wait(_lock);
                }

                _keeperRequested = false;
                if (_stopped)
                {
                    return;
                }

                var now = _time.GetTimestamp();
                while (_idle.Count > MinSpare && _idle.First is { } first && _time.GetElapsedTime(first.Value.IdleSince, now) >= IdleTime)
                {
                    ending.Add(first.Value);
                    _idle.RemoveFirst();
                }

                missing = Math.Min(SpareTarget(now) - _idle.Count, _maxThreads - Alive);
            }

            ending.ForEach(worker => worker.End());
            for (var index = 0; index < missing && TryStartThread() is { } worker; index++)
            {
                if (!TryMakeIdle(worker))
                {
                    worker.End();
                }
            }
        }
    }

    private PoolThread<TThreadState>? TryStartThread()
    {
        var worker = new PoolThread<TThreadState>(this, _makeState());
        Interlocked.Increment(ref _alive);
        try
        {
            // Unsafe: the starter's ExecutionContext (its AsyncLocals) does not flow into the connections it runs.
            new Thread(worker.Loop, _stackSize) { IsBackground = true, Name = "hftp-connection" }.UnsafeStart();
            Interlocked.Increment(ref _started);
            return worker;
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException)
        {
            Interlocked.Decrement(ref _alive);
            return null;
        }
    }

    internal void Ended() => Interlocked.Decrement(ref _alive);

    private int SpareTarget(long now) => now < _burstUntil ? BurstSpare : MinSpare;

    /// <summary>A thread done with its work: idle if there is room, else surplus; false (after a stop) ends it.</summary>
    internal bool TryMakeIdle(PoolThread<TThreadState> worker)
    {
        if (Volatile.Read(ref _stopped))
        {
            return false;
        }

        if (_idle.Count >= MaxSpare)
        {
            // Not under the keeper's lock: when thousands of connections end at once, thousands of threads would queue on it.
            // A stop sets _stopped before it ends the surplus under this lock: it finds this thread, or this sees the stop.
            lock (_surplusLock)
            {
                if (_stopped)
                {
                    return false;
                }

                _surplus.AddLast(worker.Node);
                if (!_endingSurplus)
                {
                    _endingSurplus = true;
                    _endSurplus.Change(EndTick, EndTick);
                }

                return true;
            }
        }

        lock (_lock)
        {
            if (_stopped || _idle.Count >= MaxSpare)
            {
                return false;
            }

            worker.IdleSince = _time.GetTimestamp();
            _idle.AddLast(worker.Node);
            return true;
        }
    }

    // On the timer while there is surplus, a few each tick (all on a stop); disarmed under the lock once none is left,
    // so a thread that goes surplus after arms it again.
    private void EndSurplus(int count = EndedPerTick)
    {
        lock (_surplusLock)
        {
            for (var ended = 0; ended < count && _surplus.First is { } oldest; ended++)
            {
                _surplus.RemoveFirst();
                oldest.Value.End();
            }

            if (_surplus.Count == 0 && _endingSurplus)
            {
                _endingSurplus = false;
                _endSurplus.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
