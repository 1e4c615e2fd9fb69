using System.Buffers;
using System.Runtime.ExceptionServices;
using Hftp.Server.Files;
using Hftp.Server.Threads;

namespace Hftp.Server.Networking;

/// <summary>Reads and base64-encodes a large slice on a second thread (from the spare-thread pool) while the connection
/// thread sends; alone, one thread reads, encodes and sends in turn, keeping one core busy. Bulk 64 MiB on one
/// connection, 2 cores: 1.56x (hftp-load) and 1.50x (hftp-benchmark) the MB/s with HFTP_ENCODE_AHEAD=0, medians of 8
/// alternating pairs (bench/raw.sh, 2026-12-06, commit 0df30f4; docs/performance.md). Chunks go in order round a ring
/// of <see cref="Slots"/> buffers: filled here once the connection thread sent them, sent once filled.</summary>
internal sealed class SliceEncoder : IDisposable
{
    /// <summary>Buffers in the ring: one being filled, one being sent, one ready, so neither side waits on a hiccup.</summary>
    public const int Slots = 3;

    private readonly SemaphoreSlim _filled = new(0);
    private readonly SemaphoreSlim _emptied = new(Slots);
    private readonly ManualResetEventSlim _done = new();
    private readonly byte[][] _buffers = new byte[Slots][];
    private readonly int[] _lengths = new int[Slots];
    private readonly ArrayPool<byte> _pool;
    private readonly ServedFile _file;
    private readonly long _offset;
    private readonly long _size;
    private ExceptionDispatchInfo? _failure;
    private volatile bool _cancelled;

    private SliceEncoder(ArrayPool<byte> pool, int bufferSize, ServedFile file, long offset, long size)
    {
        (_pool, _file, _offset, _size) = (pool, file, offset, size);
        ChunkSize = SliceWriter.RawBytesThatFit(bufferSize);
        for (var slot = 0; slot < Slots; slot++)
        {
            _buffers[slot] = pool.Rent(bufferSize);
        }
    }

    /// <summary>Raw bytes read and encoded per chunk: as many as a large buffer holds once encoded in place.</summary>
    public int ChunkSize { get; }

    /// <summary>Starts encoding on a pool thread; null when the pool has none to give (the caller encodes alone).</summary>
    public static SliceEncoder? TryStart(SpareThreadPool<ConnectionScratch> threads, ArrayPool<byte> pool, int bufferSize, ServedFile file, long offset, long size)
    {
        var encoder = new SliceEncoder(pool, bufferSize, file, offset, size);
        if (threads.TryTake() is { } thread)
        {
            thread.Run(static encoder => ((SliceEncoder)encoder!).Encode(), encoder);
            return encoder;
        }

        encoder._done.Set();
        encoder.Dispose();
        return null;
    }

    /// <summary>The chunk in <paramref name="slot"/> (taken in turn, from 0) once encoded; rethrows what reading it threw.</summary>
    public ReadOnlySpan<byte> TakeChunk(int slot)
    {
        _filled.Wait();
        _failure?.Throw();
        return _buffers[slot].AsSpan(0, _lengths[slot]);
    }

    /// <summary>The chunk taken last was sent: its slot may be filled again.</summary>
    public void ChunkSent() => _emptied.Release();

    /// <summary>Stops the encoding if it is not done (a send failed), waits until it no longer touches the file, and gives the buffers back.</summary>
    public void Dispose()
    {
        _cancelled = true;
        _emptied.Release();
        _done.Wait();
        foreach (var buffer in _buffers)
        {
            _pool.Return(buffer);
        }

        _filled.Dispose();
        _emptied.Dispose();
        _done.Dispose();
    }

    // Fills the slots in turn until the slice is encoded or the connection thread gave up on it.
    private void Encode()
    {
        try
        {
            var (offset, size) = (_offset, _size);
            for (var slot = 0; size > 0 && _emptied.Wait(Timeout.Infinite) && !_cancelled; slot = (slot + 1) % Slots)
            {
                var chunk = (int)Math.Min(size, ChunkSize);
                _lengths[slot] = SliceWriter.ReadAndEncode(_file, offset, _buffers[slot], chunk);
                _filled.Release();
                (offset, size) = (offset + chunk, size - chunk);
            }
        }
        catch (Exception exception)
        {
            // Handed to the connection thread, which answers it as it would a failure of its own read.
            _failure = ExceptionDispatchInfo.Capture(exception);
            _filled.Release();
        }
        finally
        {
            _done.Set();
        }
    }
}
