namespace Hftp.Server.Networking;

/// <summary>
/// Buffers of one fixed size, of which at most <see cref="MaxRetained"/> are kept for reuse. Under a burst every
/// busy connection gets one; when the burst ends the extra buffers are dropped for the garbage collector rather than
/// kept (ArrayPool.Shared keeps many per core and per thread, which thread-per-connection bloats). Lock-free: with
/// thousands of connection threads a lock here convoys (its holder preempted while thousands of woken threads spin
/// for it: 10,000 slowloris connections froze the server for a minute). Each thread starts its search at a slot of
/// its own, so a thread that gives a buffer back finds it again first.
/// </summary>
internal sealed class ReplyBufferPool(int bufferSize, int maxRetained)
{
    [ThreadStatic]
    private static long _allocatedOnThread;

    private readonly byte[]?[] _retained = new byte[maxRetained][];
    private long _droppedBytes;

    /// <summary>
    /// Bytes the pools allocated on the calling thread because they had no buffer to give: a burst's new buffers, which
    /// the request path's own allocation tally leaves out.
    /// </summary>
    public static long AllocatedOnThisThread => _allocatedOnThread;

    public int BufferSize { get; } = bufferSize;

    public int MaxRetained { get; } = maxRetained;

    /// <summary>Bytes of buffers dropped (not kept) since the process started: memory a garbage collection can give back.</summary>
    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    public byte[] Rent()
    {
        var start = StartSlot();
        for (var probe = 0; probe < _retained.Length; probe++)
        {
            var slot = (start + probe) % _retained.Length;
            if (Volatile.Read(ref _retained[slot]) is not null && Interlocked.Exchange(ref _retained[slot], null) is { } buffer)
            {
                return buffer;
            }
        }

        _allocatedOnThread += BufferSize;
        return GC.AllocateUninitializedArray<byte>(BufferSize);
    }

    public void Return(byte[] buffer)
    {
        var start = StartSlot();
        for (var probe = 0; probe < _retained.Length; probe++)
        {
            var slot = (start + probe) % _retained.Length;
            if (Volatile.Read(ref _retained[slot]) is null && Interlocked.CompareExchange(ref _retained[slot], buffer, null) is null)
            {
                return;
            }
        }

        Interlocked.Add(ref _droppedBytes, buffer.Length);
    }

    private int StartSlot() =>
        _retained.Length == 0 ? 0 : (int)((uint)Environment.CurrentManagedThreadId * 2654435761u % (uint)_retained.Length);
}
