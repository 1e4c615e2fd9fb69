namespace Hftp.Server.Threads;

/// <summary>
/// Connection threads, reused in Apache's model (worker MPM: MinSpareThreads, MaxSpareThreads): a thread whose
/// connection ended waits idle for the next one instead of ending, so a busy server seldom starts a thread. A keeper
/// thread of its own (Apache's parent process) starts threads as soon as fewer than <see cref="MinSpare"/> are idle,
/// beside the accept loop, which hands clients to them; and once a second (on the <see cref="TimeProvider"/>) it
/// ends the idle threads beyond <see cref="MinSpare"/> that waited longer than the idle time. A thread whose
/// connection ends while <see cref="MaxSpare"/> are idle ends at once, so a burst's stacks go back to the system.
/// When no thread is idle, the accept loop starts one on the spot: 10,000 clients connecting at once wait for thread
/// starts, not for a pacing rule. Each thread has a <typeparamref name="TThreadState"/>, made where the thread is started,
/// which it lends to every work it runs (a connection's buffers: <see cref="Networking.ConnectionScratch"/>); it ends
/// with the thread.
/// </summary>
internal sealed class SpareThreadPool<TThreadState> : IDisposable
    where TThreadState : class
{
    // Most recently idle last: the next connection takes the thread that ran last (its stack is warm), and the
    // threads at the front are the ones idle longest, which the keeper ends first.
    private readonly LinkedList<Worker> _idle = new();
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _stackSize;
    private readonly ITimer _reclaim;
    private readonly Func<TThreadState> _makeState;
    private readonly SemaphoreSlim _keeperWanted = new(0, 1);
    private int _keeperRequested;
    private int _alive;
    private long _started;
    private bool _stopped;

    public SpareThreadPool(int minSpare, int maxSpare, TimeSpan idleTime, int stackSize, TimeProvider time, Func<TThreadState> makeState)
    {
        _makeState = makeState;
        MinSpare = minSpare;

        // Room for one more than the minimum, so a thread the keeper replaced can come back (Apache, for the same
        // reason, requires MaxSpareThreads >= MinSpareThreads + ThreadsPerChild): with the two equal, every client
        // took the spare, the keeper started another, and the client's thread found no room and ended, a thread
        // start per connection.
        MaxSpare = minSpare == 0 ? maxSpare : Math.Max(maxSpare, minSpare + 1);
        IdleTime = idleTime;
        _stackSize = stackSize;
        _time = time;
        _reclaim = time.CreateTimer(_ => WakeKeeper(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public int MinSpare { get; }

    public int MaxSpare { get; }

    public TimeSpan IdleTime { get; }

    /// <summary>Threads alive now: busy with a connection or idle.</summary>
    public int Alive => Volatile.Read(ref _alive);

    /// <summary>Threads waiting for a connection (a gauge: read without the lock, a moment stale at worst).</summary>
    public int Idle => _idle.Count;

    /// <summary>Threads started since the pool was made.</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>Starts the keeper, which starts the <see cref="MinSpare"/> threads, and its once-a-second idle reclaim.</summary>
    public void Start()
    {
        new Thread(Keep, 128 * 1024) { IsBackground = true, Name = "hftp-spares" }.Start();
        WakeKeeper();
        _reclaim.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Takes an idle thread, or starts one when none is idle, and runs on it the work <paramref name="prepare"/> makes,
    /// on the caller's thread, with that thread's state. False when the system refuses a new thread (the task limit or
    /// memory): the caller waits for a connection to end.
    /// </summary>
    public bool TryRun(Func<TThreadState, Action> prepare)
    {
        Worker? worker = null;
        lock (_lock)
        {
            if (_idle.Last is { } last)
            {
                worker = last.Value;
                _idle.RemoveLast();
            }

            if (_idle.Count < MinSpare)
            {
                WakeKeeper();
            }
        }

        worker ??= TryStartThread();
        worker?.Give(prepare(worker.State));
        return worker is not null;
    }

    /// <summary>Ends the idle threads and the keeper; busy threads end when their connections do.</summary>
    public void Stop()
    {
        _reclaim.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        List<Worker> ending;
        lock (_lock)
        {
            _stopped = true;
            ending = [.. _idle];
            _idle.Clear();
        }

        ending.ForEach(worker => worker.Give(null));
        WakeKeeper();
    }

    public void Dispose()
    {
        Stop();
        _reclaim.Dispose();
    }

    // Once however many ask before the keeper runs.
    private void WakeKeeper()
    {
        if (Interlocked.Exchange(ref _keeperRequested, 1) == 0)
        {
            _keeperWanted.Release();
        }
    }

    // Ends the threads idle too long beyond MinSpare (the longest idle first), then starts threads until MinSpare are idle.
    private void Keep()
    {
        while (true)
        {
            _keeperWanted.Wait();
            Volatile.Write(ref _keeperRequested, 0);
            var now = _time.GetTimestamp();
            var ending = new List<Worker>();
            int missing;
            lock (_lock)
            {
                if (_stopped)
                {
                    return;
                }

                while (_idle.Count > MinSpare && _idle.First is { } first && _time.GetElapsedTime(first.Value.IdleSince, now) >= IdleTime)
                {
                    ending.Add(first.Value);
                    _idle.RemoveFirst();
                }

                missing = MinSpare - _idle.Count;
            }

            ending.ForEach(worker => worker.Give(null));
            for (var index = 0; index < missing && TryStartThread() is { } worker; index++)
            {
                if (!TryMakeIdle(worker))
                {
                    worker.Give(null);
                }
            }
        }
    }

    private Worker? TryStartThread()
    {
        var worker = new Worker(this, _makeState());
        Interlocked.Increment(ref _alive);
        try
        {
            new Thread(worker.Run, _stackSize) { IsBackground = true, Name = "hftp-connection" }.Start();
            Interlocked.Increment(ref _started);
            return worker;
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException)
        {
            Interlocked.Decrement(ref _alive);
            worker.Dispose();
            return null;
        }
    }

    // A thread done with its connection: idle if there is room, else it ends (the caller's loop returns).
    private bool TryMakeIdle(Worker worker)
    {
        lock (_lock)
        {
            if (_stopped || _idle.Count >= MaxSpare)
            {
                return false;
            }

            worker.IdleSince = _time.GetTimestamp();
            _idle.AddLast(worker);
            return true;
        }
    }

    private sealed class Worker(SpareThreadPool<TThreadState> pool, TThreadState state) : IDisposable
    {
        // No spinning before it blocks: a new thread that spun for its first connection (SemaphoreSlim spins about 25
        // sched_yields) took the core from the threads being started beside it in a burst.
        private readonly ManualResetEventSlim _signal = new(false, spinCount: 0);
        private Action? _work;

        public long IdleSince { get; set; }

        public TThreadState State => state;

        // Null tells the thread to end.
        public void Give(Action? work)
        {
            _work = work;
            _signal.Set();
        }

        public void Run()
        {
            try
            {
                while (true)
                {
                    // Handed work only while idle, so one Set per Wait: reset before reading it.
                    _signal.Wait();
                    _signal.Reset();
                    var work = _work;
                    _work = null;
                    if (work is null)
                    {
                        return;
                    }

                    // The work (a connection) logs its own failures; nothing it throws may end the pool's thread silently.
                    work();
                    if (!pool.TryMakeIdle(this))
                    {
                        return;
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref pool._alive);
                Dispose();
            }
        }

        public void Dispose() => _signal.Dispose();
    }
}
