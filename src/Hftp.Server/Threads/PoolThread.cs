namespace Hftp.Server.Threads;

/// <summary>One thread of a <see cref="SpareThreadPool{TThreadState}"/>. Work comes as a callback and its argument, as
/// ThreadPool.UnsafeQueueUserWorkItem takes it: handing over a connection allocates no delegate. It waits with Monitor
/// on an object made with it: a ManualResetEventSlim makes its lock object at the first wait, on the thread, which
/// then takes an allocation context (see ConnectionScratch).</summary>
internal sealed class PoolThread<TThreadState>
    where TThreadState : class
{
    private readonly SpareThreadPool<TThreadState> _pool;
    private readonly object _gate = new();
    private Action<object?>? _work;
    private object? _argument;
    private bool _given;

    public PoolThread(SpareThreadPool<TThreadState> pool, TThreadState state)
    {
        _pool = pool;
        State = state;
        Node = new(this);
    }

    /// <summary>What the thread lends to every work it runs.</summary>
    public TThreadState State { get; }

    public long IdleSince { get; set; }

    /// <summary>Its place in the pool's idle list, made with it: going idle allocates nothing on the thread itself.</summary>
    public LinkedListNode<PoolThread<TThreadState>> Node { get; }

    /// <summary>Runs <paramref name="work"/>(<paramref name="argument"/>) on the thread; taken, a thread must be given work or ended.</summary>
    public void Run(Action<object?>? work, object? argument)
    {
        lock (_gate)
        {
            (_work, _argument, _given) = (work, argument, true);
            Monitor.Pulse(_gate);
        }
    }

    public void End() => Run(null, null);

    /// <summary>The thread's body: runs each work it is given, going back to the pool in between, until ended.</summary>
    public void Loop()
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
            _pool.Ended();
        }
    }

    // Handed work only while idle, so one Run per wait; null work ends the thread.
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
