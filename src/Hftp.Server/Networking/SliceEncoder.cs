using System.Buffers;
using System.Runtime.ExceptionServices;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>
/// A helper thread that reads and encodes a large slice's chunks while the connection thread sends the ones before:
/// a single slice otherwise keeps one core busy (reading the file, encoding, sending) while the others wait. The
/// connection still owns its thread and its socket; this thread only fills buffers. The chunks go through a ring of
/// <see cref="Slots"/> buffers, in order: the encoder fills a slot once the connection thread has sent it, the
/// connection thread sends a slot once the encoder has filled it. Used by one slice at a time (see
/// <see cref="SliceEncoders"/>).
/// </summary>
internal sealed class SliceEncoder : IDisposable
{
    /// <summary>Buffers in the ring: one being filled, one being sent, one ready, so neither side waits on a hiccup.</summary>
    public const int Slots = 3;

    private const int FailedLength = -1;

    private readonly SemaphoreSlim _jobReady = new(0);
    private readonly SemaphoreSlim _filled = new(0);
    private readonly SemaphoreSlim _emptied = new(Slots);
    private readonly ManualResetEventSlim _idle = new(true);
    private readonly byte[][] _buffers = new byte[Slots][];
    private readonly int[] _lengths = new int[Slots];
    private ServedFile? _file;
    private long _offset;
    private long _size;
    private ExceptionDispatchInfo? _failure;
    private volatile bool _cancelled;
    private volatile bool _stopping;

    private readonly ArrayPool<byte> _pool;
    private readonly int _bufferSize;

    private SliceEncoder(ArrayPool<byte> pool, int bufferSize)
    {
        (_pool, _bufferSize) = (pool, bufferSize);
        ChunkSize = SliceWriter.RawBytesThatFit(bufferSize);
    }

    /// <summary>Raw bytes read and encoded per chunk: as many as a large buffer holds once encoded in place.</summary>
    public int ChunkSize { get; }

    /// <summary>Starts an encoder thread that waits for its first slice; throws what <see cref="Thread.Start()"/> throws.</summary>
    public static SliceEncoder Start(ArrayPool<byte> pool, int bufferSize)
    {
        var encoder = new SliceEncoder(pool, bufferSize);
        new Thread(encoder.Run, 256 * 1024) { IsBackground = true, Name = "hftp-slice-encoder" }.Start();
        return encoder;
    }

    /// <summary>
    /// Starts reading and encoding <paramref name="size"/> bytes of <paramref name="file"/> from
    /// <paramref name="offset"/>; the caller takes each chunk with <see cref="TakeChunk"/>, then calls
    /// <see cref="Finish"/>, whatever happened, before it closes the file.
    /// </summary>
    public void Begin(ServedFile file, long offset, long size)
    {
        for (var slot = 0; slot < Slots; slot++)
        {
            _buffers[slot] = _pool.Rent(_bufferSize);
        }

        (_file, _offset, _size, _failure, _cancelled) = (file, offset, size, null, false);
        _idle.Reset();
        _jobReady.Release();
    }

    /// <summary>
    /// The chunk in <paramref name="slot"/> (the slots are taken in turn, from 0), once it is encoded; rethrows what
    /// reading it threw (the file shrank, a read failed).
    /// </summary>
    public ReadOnlySpan<byte> TakeChunk(int slot)
    {
        _filled.Wait();
        var length = _lengths[slot];
        if (length == FailedLength)
        {
            _failure!.Throw();
        }

        return _buffers[slot].AsSpan(0, length);
    }

    /// <summary>The chunk taken last was sent: the encoder may fill its slot again.</summary>
    public void ChunkSent() => _emptied.Release();

    /// <summary>
    /// Stops the encoder if it is not done (a send failed) and waits until it no longer touches the file or the
    /// buffers; then gives the buffers back. The encoder is ready for its next slice.
    /// </summary>
    public void Finish()
    {
        _cancelled = true;
        _emptied.Release();
        _idle.Wait();

        // Back to an empty ring, whatever the slice left in it: chunks filled and never sent, slots never filled.
        while (_filled.Wait(0))
        {
        }

        while (_emptied.CurrentCount > Slots)
        {
            _emptied.Wait(0);
        }

        while (_emptied.CurrentCount < Slots)
        {
            _emptied.Release();
        }

        for (var slot = 0; slot < Slots; slot++)
        {
            _pool.Return(_buffers[slot]);
            _buffers[slot] = null!;
        }

        _file = null;
        _failure = null;
    }

    /// <summary>
    /// Ends the thread once its slice, if any, is finished. The semaphores and the event are left to the collector:
    /// they hold no kernel handle (their wait handles are never asked for), and a connection thread cut at shutdown may
    /// still be finishing its slice with them.
    /// </summary>
    public void Dispose()
    {
        _stopping = true;
        _jobReady.Release();
    }

    private void Run()
    {
        while (true)
        {
            _jobReady.Wait();
            if (_stopping)
            {
                return;
            }

            try
            {
                EncodeSlice();
            }
            finally
            {
                _idle.Set();
            }
        }
    }

    // Fills the slots in turn until the slice is encoded or the connection thread gave up on it.
    private void EncodeSlice()
    {
        var (file, offset, size) = (_file!, _offset, _size);
        var slot = 0;
        while (size > 0)
        {
            _emptied.Wait();
            if (_cancelled)
            {
                return;
            }

            var chunk = (int)Math.Min(size, ChunkSize);
            try
            {
                _lengths[slot] = SliceWriter.ReadAndEncode(file, offset, _buffers[slot], chunk);
            }
            catch (Exception exception)
            {
                // Handed to the connection thread, which answers it as it would a failure of its own read.
                _failure = ExceptionDispatchInfo.Capture(exception);
                _lengths[slot] = FailedLength;
                _filled.Release();
                return;
            }

            _filled.Release();
            offset += chunk;
            size -= chunk;
            slot = (slot + 1) % Slots;
        }
    }
}
