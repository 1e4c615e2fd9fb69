namespace Hftp.Server.Threads;

/// <summary>
/// Connection threads, reused in Apache's model (worker MPM): a thread whose connection ended waits idle for the next.
/// A keeper thread starts threads while fewer than <see cref="MinSpare"/> are idle, and once a second (on the
/// <see cref="TimeProvider"/>) ends those beyond it idle longer than the idle time; a thread whose connection ends
/// while <see cref="MaxSpare"/> are idle ends at once. With none idle, the caller starts one on the spot. Each thread
/// has a <typeparamref name="TThreadState"/>, made where it is started, which it lends to every work it runs.
/// </summary>
internal sealed class SpareThreadPool<TThreadState> : IDisposable
    where TThreadState : class
{
    // Most recently idle last: the next connection takes the thread that ran last (its stack is warm), and the
    // threads at the front are the ones idle longest, which the keeper ends first.
    private readonly LinkedList<Worker> _idle = new();
    // A Monitor, because the keeper also waits on it to be woken (SemaphoreSlim would spin, sched_yield, first).
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly int _stackSize;
    private readonly ITimer _reclaim;
    private readonly Func<TThreadState> _makeState;
    private bool _keeperRequested;
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
    /// Takes an idle thread, or starts one when none is idle, for the caller to prepare work with the thread's
    /// <see cref="Worker.State"/> and hand it over (<see cref="Worker.Run"/>). Null when the system refuses a new
    /// thread (the task limit or memory): the caller waits for a connection to end.
    /// </summary>
    public Worker? TryTake()
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

        return worker ?? TryStartThread();
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

        ending.ForEach(worker => worker.End());
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
            var ending = new List<Worker>();
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

                missing = MinSpare - _idle.Count;
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

    private Worker? TryStartThread()
    {
        var worker = new Worker(this, _makeState());
        Interlocked.Increment(ref _alive);
        try
        {
            new Thread(worker.Loop, _stackSize) { IsBackground = true, Name = "hftp-connection" }.Start();
            Interlocked.Increment(ref _started);
            return worker;
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException)
        {
            Interlocked.Decrement(ref _alive);
            return null;
        }
    }

    // A thread done with its connection: idle if there is room, else it ends (the caller's loop returns).
    private bool TryMakeIdle(Worker worker)
    {
        // Unlocked first: when a burst ends, thousands of threads find the list full at once, and queueing them all on
        // the lock held up the accept thread, which takes its threads under it (docs/performance.md, slowloris).
        if (Volatile.Read(ref _stopped) || _idle.Count >= MaxSpare)
        {
            return false;
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

    /// <summary>
    /// One thread. Work comes as a callback and its argument, as ThreadPool.UnsafeQueueUserWorkItem takes it: handing
    /// over a connection allocates no delegate. It waits with Monitor on an object made with it: a ManualResetEventSlim
    /// makes its lock object at the first wait, on the thread, which then takes an allocation context (ConnectionScratch).
    /// </summary>
    public sealed class Worker
    {
        private readonly SpareThreadPool<TThreadState> _pool;
        private readonly object _gate = new();
        private Action<object?>? _work;
        private object? _argument;
        private bool _given;

        internal Worker(SpareThreadPool<TThreadState> pool, TThreadState state)
        {
            _pool = pool;
            State = state;
            Node = new(this);
        }

        /// <summary>What the thread lends to every work it runs.</summary>
        public TThreadState State { get; }

        internal long IdleSince { get; set; }

        /// <summary>Its place in the idle list, made with it: going idle allocates nothing on the thread itself.</summary>
        internal LinkedListNode<Worker> Node { get; }

        /// <summary>Runs <paramref name="work"/>(<paramref name="argument"/>) on the thread; taken, a worker must be given work or ended.</summary>
        public void Run(Action<object?>? work, object? argument)
        {
            lock (_gate)
            {
                (_work, _argument, _given) = (work, argument, true);
                Monitor.Pulse(_gate);
            }
        }

        internal void End() => Run(null, null);

        internal void Loop()
        {
            try
            {
                // The work (a connection) logs its own failures; nothing it throws may end the pool's thread silently.
                while (NextWork(out var argument) is { } work)
                {
                    work(argument);
                    if (!_pool.TryMakeIdle(this))
                    {
                        return;
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _pool._alive);
            }
        }

        // Handed work only while idle, so one Give per wait; null work ends the thread.
        private Action<object?>? NextWork(out object? argument)
        {
            lock (_gate)
            {
                while (!_given)
                {
                    Monitor.Wait(_gate);
                }

                (var work, argument) = (_work, _argument);
                (_work, _argument, _given) = (null, null, false);
                return work;
            }
        }
    }
}
