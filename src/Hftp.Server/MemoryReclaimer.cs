using System.Runtime.InteropServices;
using Hftp.Server.Networking;
using Serilog;

namespace Hftp.Server;

/// <summary>
/// Gives memory back to the system once a burst is over. The garbage collector runs only when the server
/// allocates, and an idle server allocates nothing, so the buffers and connection state a burst left behind would
/// stay resident. When many connections have ended, or many large reply buffers were dropped, and the last
/// interval ended no connection and dropped no buffer (the burst is over), it runs compacting collections that
/// decommit the freed heap, then trims the native heap (malloc_trim). It runs on a thread of its own: out of file descriptors, the runtime cannot add
/// thread-pool threads and exits when a timer callback needs one.
/// </summary>
public sealed partial class MemoryReclaimer : IDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);

    /// <summary>Dropped reply-buffer memory worth a collection.</summary>
    public const long DroppedBytesWorthReclaiming = 16L << 20;

    /// <summary>Connections ended since the last collection worth one (each leaves a thread's and a socket's state).</summary>
    public const int EndedConnectionsWorthReclaiming = 256;

    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private (long Dropped, long Ended) _lastCheck;
    private (long Dropped, long Ended) _lastReclaim;

    public MemoryReclaimer(ILogger logger, TimeSpan interval)
    {
        _logger = logger;
        _interval = interval;
        _lastCheck = _lastReclaim = (ReplyWriter.LargeBuffers.DroppedBytes, Connection.EndedCount);
        _thread = new Thread(Run, 128 * 1024) { IsBackground = true, Name = "hftp-memory" };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.Wait(_interval))
        {
            Check();
        }
    }

    private void Check()
    {
        var now = (Dropped: ReplyWriter.LargeBuffers.DroppedBytes, Ended: Connection.EndedCount);
        var burstOver = now == _lastCheck;
        _lastCheck = now;
        var dropped = now.Dropped - _lastReclaim.Dropped;
        var ended = now.Ended - _lastReclaim.Ended;
        if (burstOver && (dropped >= DroppedBytesWorthReclaiming || ended >= EndedConnectionsWorthReclaiming))
        {
            Reclaim(ended, dropped);
            _lastReclaim = now;
        }
    }

    private void Reclaim(long endedConnections, long droppedBytes)
    {
        var before = Environment.WorkingSet;
        // Twice, around the finalizers: ended threads give their native runtime state back only once their Thread
        // objects are finalized, and the second collection frees what the finalizers released.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _ = MallocTrim(0);
        var after = Environment.WorkingSet;
        _logger.Information(
            "Gave memory back after a burst ({Connections} connections ended, {Dropped} MiB of reply buffers dropped): RSS {Before} MiB -> {After} MiB",
            endedConnections, droppedBytes >> 20, before >> 20, after >> 20);
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
