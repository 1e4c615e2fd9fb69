using System.Buffers;
using Serilog;

namespace Hftp.Server.Networking;

/// <summary>
/// The server's slice encoders: one fewer than the processor has cores by default, since each lends a large slice a
/// second core while its connection thread sends. A slice takes one only if one is free: with more large slices
/// than cores the cores are busy anyway, and the others are encoded by their own connection threads as before.
/// </summary>
internal sealed class SliceEncoders : IDisposable
{
    /// <summary>Slices from this size on are handed an encoder when one is free: below it, waking one costs more than it saves.</summary>
    public const long DefaultMinimumSliceSize = 1024 * 1024;

    /// <summary>Most encoders by default, whatever the cores: more slices at once than that keep the cores busy anyway.</summary>
    public const int MaxDefaultCount = 8;

    private readonly object _lock = new();
    private readonly Stack<SliceEncoder> _free;
    private readonly List<SliceEncoder> _all;
    private long _slicesHelped;
    private bool _disposed;

    /// <summary>Starts up to <paramref name="count"/> encoders; fewer if the system refuses threads (logged).</summary>
    public SliceEncoders(int count, long minimumSliceSize, ArrayPool<byte> buffers, int bufferSize, ILogger logger)
    {
        MinimumSliceSize = minimumSliceSize;
        _all = new List<SliceEncoder>(count);
        try
        {
            while (_all.Count < count)
            {
                _all.Add(SliceEncoder.Start(buffers, bufferSize));
            }
        }
        catch (Exception exception) when (exception is OutOfMemoryException or ThreadStartException)
        {
            // Only a speed-up: large slices are encoded by their connection threads instead.
            logger.Warning("Started {Started} of {Count} slice encoders: {Error}", _all.Count, count, exception.Message);
        }

        _free = new Stack<SliceEncoder>(_all);
    }

    /// <summary>The default count: the processor's cores less the one the connection thread sends on.</summary>
    public static int DefaultCount => Math.Clamp(Environment.ProcessorCount - 1, 0, MaxDefaultCount);

    public int Count => _all.Count;

    /// <summary>Slices smaller than this are encoded by their connection threads alone.</summary>
    public long MinimumSliceSize { get; }

    /// <summary>Slices an encoder has helped with so far.</summary>
    public long SlicesHelped => Interlocked.Read(ref _slicesHelped);

    /// <summary>A free encoder for a slice of <paramref name="size"/> bytes, or null when it is small or all are busy.</summary>
    public SliceEncoder? TryTake(long size)
    {
        if (size < MinimumSliceSize)
        {
            return null;
        }

        lock (_lock)
        {
            // Once disposed, an encoder's thread may have ended: a slice it were handed would wait for it forever.
            if (_disposed || !_free.TryPop(out var encoder))
            {
                return null;
            }

            _slicesHelped++;
            return encoder;
        }
    }

    /// <summary>Gives back an encoder after its <see cref="SliceEncoder.Finish"/>.</summary>
    public void Return(SliceEncoder encoder)
    {
        lock (_lock)
        {
            _free.Push(encoder);
        }
    }

    /// <summary>Ends the encoders' threads; each ends once its slice, if any, is finished.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
        }

        foreach (var encoder in _all)
        {
            encoder.Dispose();
        }
    }
}
