namespace Hftp.Server.Limits;

/// <summary>
/// Tasks held back for the runtime's own threads: a few parked threads of our own. Counting a margin below a
/// task limit is not enough when other processes of the same user share it (RLIMIT_NPROC); holding the margin
/// is. When the system refuses the server a thread, the reserve is let go at once, so the runtime still finds
/// room for the threads it creates on demand (it aborts when it cannot), and the server starts no connection
/// thread until it could take the reserve back with as much room again to spare.
/// </summary>
internal sealed class ThreadReserve(int size)
{
    // The parked threads only wait: the smallest stack the runtime accepts is plenty.
    private const int StackSize = 64 * 1024;

    private readonly object _gate = new();
    private int _held;
    private int _toEnd;

    public bool IsFull
    {
        get
        {
            lock (_gate)
            {
                return _held - _toEnd >= size;
            }
        }
    }

    /// <summary>
    /// Takes the reserve, after checking there is room for twice as many threads (so that as much is still
    /// free once it is held); on failure lets everything go and returns false.
    /// </summary>
    public bool TryFill()
    {
        try
        {
            while (true)
            {
                lock (_gate)
                {
                    if (_held - _toEnd >= 2 * size)
                    {
                        _toEnd += size;
                        Monitor.PulseAll(_gate);
                        return true;
                    }

                    _held++;
                }

                try
                {
                    new Thread(Park, StackSize) { IsBackground = true, Name = "hftp-reserve" }.Start();
                }
                catch
                {
                    lock (_gate)
                    {
                        _held--;
                    }

                    throw;
                }
            }
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException)
        {
            Release();
            return false;
        }
    }

    /// <summary>Ends every reserved thread, giving its task back to the system.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _toEnd = _held;
            Monitor.PulseAll(_gate);
        }
    }

    private void Park()
    {
        lock (_gate)
        {
            while (_toEnd == 0)
            {
                Monitor.Wait(_gate);
            }

            _toEnd--;
            _held--;
        }
    }
}
