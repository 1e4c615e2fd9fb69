namespace Hftp.Server.Networking;

/// <summary>
/// The idle connection threads, in the order they are handed out: first the one that came back from a connection
/// last, new spares last. Linked through the threads themselves, so adding and removing allocate nothing. Not
/// thread-safe: <see cref="ConnectionThreads"/> guards it with its lock.
/// </summary>
internal sealed class IdleThreadList
{
    private ConnectionThread? _last;

    /// <summary>The thread to hand out next; null when none is idle.</summary>
    public ConnectionThread? First { get; private set; }

    /// <summary>Adds a thread back from a connection: it goes first (its stack and caches are warm).</summary>
    public void AddFirst(ConnectionThread thread) => InsertBetween(thread, previous: null, next: First);

    /// <summary>Adds a new spare: it goes last.</summary>
    public void AddLast(ConnectionThread thread) => InsertBetween(thread, previous: _last, next: null);

    public void Remove(ConnectionThread thread)
    {
        Relink(thread.PreviousIdle, thread.NextIdle);
        thread.NextIdle = thread.PreviousIdle = null;
    }

    private void InsertBetween(ConnectionThread thread, ConnectionThread? previous, ConnectionThread? next)
    {
        thread.PreviousIdle = previous;
        thread.NextIdle = next;
        Relink(previous, thread);
        Relink(thread, next);
    }

    // Makes two neighbours point at each other; a null side is the list's end.
    private void Relink(ConnectionThread? previous, ConnectionThread? next)
    {
        if (previous is null)
        {
            First = next;
        }
        else
        {
            previous.NextIdle = next;
        }

        if (next is null)
        {
            _last = previous;
        }
        else
        {
            next.PreviousIdle = previous;
        }
    }
}
