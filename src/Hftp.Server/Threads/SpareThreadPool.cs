namespace Hftp.Server.Threads;

/// <summary>
/// Connection threads, reused in Apache's model (worker MPM: MinSpareThreads, MaxSpareThreads): a thread whose
/// connection ended waits idle for the next one instead of ending, so a busy server seldom starts a thread. Once a
/// second (on the <see cref="TimeProvider"/>) the pool starts threads until <see cref="MinSpare"/> are idle, and ends
/// idle threads beyond that which waited longer than the idle time. A thread whose connection ends while
/// <see cref="MaxSpare"/> are already idle ends at once, so the memory of a burst (each thread's stack) goes back to the
/// system when the burst is over. When no thread is idle, one is started on the spot: 10,000 clients connecting at
/// once wait for 10,000 thread starts (about 50 µs each), not for a pacing rule.
/// </summary>
internal sealed class SpareThreadPool : IDisposable
{
    // Most recently idle last: the next connection takes the thread that ran last (its stack is warm), and the
    // threads at the front are the ones idle longest, which the maintenance ends first.
    private readonly LinkedList<Worker> _idle = new();
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _stackSize;
    private readonly ITimer _maintenance;
    private int _alive;
    private long _started;
    private bool _stopped;

    public SpareThreadPool(int minSpare, int maxSpare, TimeSpan idleTime, int stackSize, TimeProvider time)
    {
        MinSpare = minSpare;
        MaxSpare = Math.Max(minSpare, maxSpare);
        IdleTime = idleTime;
        _stackSize = stackSize;
        _time = time;
        _maintenance = time.CreateTimer(_ => Maintain(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public int MinSpare { get; }

    public int MaxSpare { get; }

    public TimeSpan IdleTime { get; }

    /// <summary>Threads alive now: busy with a connection or idle.</summary>
    public int Alive => Volatile.Read(ref _alive);

    /// <summary>Threads waiting for a connection.</summary>
    public int Idle
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>Threads started since the pool was made.</summary>
    public long Started => Interlocked.Read(ref _started);

    /// <summary>Starts the <see cref="MinSpare"/> threads and the once-a-second maintenance.</summary>
    public void Start()
    {
        Maintain();
        _maintenance.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Runs <paramref name="work"/> on an idle thread, or on a new one when none is idle. False when the system
    /// refuses a new thread (the task limit or memory): the caller waits for a connection to end.
    /// </summary>
    public bool TryRun(Action work)
    {
        Worker? worker = null;
        lock (_lock)
        {
            if (_idle.Last is { } last)
            {
                worker = last.Value;
                _idle.RemoveLast();
            }
        }

        worker ??= TryStartThread();
        if (worker is null)
        {
            return false;
        }

        worker.Give(work);
        return true;
    }

    /// <summary>Ends the idle threads and lets busy ones end when their connections do.</summary>
    public void Stop()
    {
        _maintenance.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        List<Worker> ending;
        lock (_lock)
        {
            _stopped = true;
            ending = [.. _idle];
            _idle.Clear();
        }

        ending.ForEach(worker => worker.Give(null));
    }

    public void Dispose()
    {
        Stop();
        _maintenance.Dispose();
    }

    private void Maintain()
    {
        var now = _time.GetTimestamp();
        var ending = new List<Worker>();
        int missing;
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            // The longest idle first; at most down to MinSpare.
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

    private Worker? TryStartThread()
    {
        try
        {
            var worker = new Worker(this);
            var thread = new Thread(worker.Run, _stackSize) { IsBackground = true, Name = "hftp-connection" };
            Interlocked.Increment(ref _alive);
            try
            {
                thread.Start();
            }
            catch
            {
                Interlocked.Decrement(ref _alive);
                throw;
            }

            Interlocked.Increment(ref _started);
            return worker;
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException)
        {
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

    private sealed class Worker(SpareThreadPool pool) : IDisposable
    {
        private readonly SemaphoreSlim _signal = new(0, 1);
        private Action? _work;

        public long IdleSince { get; set; }

        // Null tells the thread to end.
        public void Give(Action? work)
        {
            _work = work;
            _signal.Release();
        }

        public void Run()
        {
            try
            {
                while (true)
                {
                    _signal.Wait();
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
