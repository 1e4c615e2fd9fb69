namespace Hftp.Server.Networking;

/// <summary>
/// Reply buffers of one fixed size, of which at most <see cref="MaxRetained"/> are kept for reuse. Under a burst
/// every busy connection gets one; when the burst ends the extra buffers are dropped for the garbage collector
/// rather than kept (ArrayPool.Shared keeps many per core and per thread, which thread-per-connection bloats).
/// </summary>
internal sealed class ReplyBufferPool(int bufferSize, int maxRetained)
{
    private readonly byte[][] _retained = new byte[maxRetained][];
    private readonly Lock _lock = new();
    private int _count;
    private long _droppedBytes;

    public int BufferSize { get; } = bufferSize;

    public int MaxRetained { get; } = maxRetained;

    /// <summary>Bytes of buffers dropped (not kept) since the process started: memory a garbage collection can give back.</summary>
    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    public byte[] Rent()
    {
        lock (_lock)
        {
            if (_count > 0)
            {
                var buffer = _retained[--_count];
                _retained[_count] = null!;
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(BufferSize);
    }

    public void Return(byte[] buffer)
    {
        lock (_lock)
        {
            if (_count < _retained.Length)
            {
                _retained[_count++] = buffer;
                return;
            }
        }

        Interlocked.Add(ref _droppedBytes, buffer.Length);
    }
}
