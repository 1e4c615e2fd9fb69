namespace Hftp.Server.Networking;

/// <summary>
/// Threads back from their connections while the idle list was full: they wait here to be reused by a later connection
/// or ended at a bounded pace (see <see cref="ConnectionThreads"/>). Pushing takes no lock, because when thousands of
/// connections end in the same instant thousands of threads push at once, and contending for a lock they convoy. Popping
/// is done by few (the accept loop, the spare maker, a stop), which must hold one lock of the caller's, so no thread is
/// taken and pushed again between a pop's read and its exchange (the ABA problem). Linked through the threads
/// themselves, so neither allocates.
/// </summary>
internal sealed class SurplusThreadStack
{
    private ConnectionThread? _top;
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds <paramref name="thread"/>; safe from any thread, without a lock.</summary>
    public void Push(ConnectionThread thread)
    {
        Interlocked.Increment(ref _count);
        while (true)
        {
            var top = Volatile.Read(ref _top);
            thread.NextSurplus = top;
            if (Interlocked.CompareExchange(ref _top, thread, top) == top)
            {
                return;
            }
        }
    }

    /// <summary>The thread pushed last, or null; the caller holds the lock every popper holds.</summary>
    public ConnectionThread? Pop()
    {
        while (true)
        {
            var top = Volatile.Read(ref _top);
            if (top is null)
            {
                return null;
            }

            if (Interlocked.CompareExchange(ref _top, top.NextSurplus, top) == top)
            {
                top.NextSurplus = null;
                Interlocked.Decrement(ref _count);
                return top;
            }
        }
    }
}
