namespace Hftp.Server.Networking;

/// <summary>
/// The idle connection threads, in the order they are handed out: first the one that came back from a connection
/// last, new spares last. Linked through the threads themselves, so adding and removing allocate nothing. Not
/// thread-safe: <see cref="ConnectionThreads"/> guards it with its lock.
/// </summary>
internal sealed class IdleThreadList
{
    private ConnectionThread? _tail;

    /// <summary>The thread to hand out next; null when none is idle.</summary>
    public ConnectionThread? First { get; private set; }

    /// <summary>Adds a thread back from a connection: it goes first (its stack and caches are warm).</summary>
    public void AddFirst(ConnectionThread thread)
    {
        thread.NextIdle = First;
        thread.PreviousIdle = null;
        Link(thread.NextIdle, thread, before: true);
        First = thread;
        _tail ??= thread;
    }

    /// <summary>Adds a new spare: it goes last.</summary>
    public void AddLast(ConnectionThread thread)
    {
        thread.PreviousIdle = _tail;
        thread.NextIdle = null;
        Link(thread.PreviousIdle, thread, before: false);
        _tail = thread;
        First ??= thread;
    }

    public void Remove(ConnectionThread thread)
    {
        if (thread.PreviousIdle is null)
        {
            First = thread.NextIdle;
        }
        else
        {
            thread.PreviousIdle.NextIdle = thread.NextIdle;
        }

        if (thread.NextIdle is null)
        {
            _tail = thread.PreviousIdle;
        }
        else
        {
            thread.NextIdle.PreviousIdle = thread.PreviousIdle;
        }

        thread.NextIdle = thread.PreviousIdle = null;
    }

    // Points the neighbour (if any) at the thread added beside it.
    private static void Link(ConnectionThread? neighbour, ConnectionThread added, bool before)
    {
        if (neighbour is null)
        {
            return;
        }

        if (before)
        {
            neighbour.PreviousIdle = added;
        }
        else
        {
            neighbour.NextIdle = added;
        }
    }
}
