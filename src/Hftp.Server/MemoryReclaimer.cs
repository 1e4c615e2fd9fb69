using System.Runtime.InteropServices;
using Hftp.Server.Networking;
using Serilog;

namespace Hftp.Server;

/// <summary>
/// Gives memory back to the system once a burst is over. The garbage collector runs only when the server
/// allocates, and an idle server allocates nothing, so the buffers and connection state a burst left behind would
/// stay resident. When many connections have ended, or many large reply buffers were dropped, and the last
/// interval brought no new drops, it runs one compacting collection that decommits the freed heap, then trims the
/// native heap (malloc_trim). It runs on a thread of its own: out of file descriptors, the runtime cannot add
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
    private readonly Func<int> _activeConnections;
    private readonly TimeSpan _interval;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private long _droppedAtLastCheck;
    private long _droppedAtLastReclaim;
    private int _peakConnections;

    public MemoryReclaimer(ILogger logger, Func<int> activeConnections, TimeSpan interval)
    {
        _logger = logger;
        _activeConnections = activeConnections;
        _interval = interval;
        _droppedAtLastCheck = _droppedAtLastReclaim = ReplyWriter.LargeBuffers.DroppedBytes;
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
        var active = _activeConnections();
        _peakConnections = Math.Max(_peakConnections, active);
        var dropped = ReplyWriter.LargeBuffers.DroppedBytes;
        var burstOver = dropped == _droppedAtLastCheck;
        _droppedAtLastCheck = dropped;
        var droppedSinceReclaim = dropped - _droppedAtLastReclaim;
        var endedConnections = _peakConnections - active;
        if (burstOver && (droppedSinceReclaim >= DroppedBytesWorthReclaiming || endedConnections >= EndedConnectionsWorthReclaiming))
        {
            Reclaim(endedConnections, droppedSinceReclaim);
            _droppedAtLastReclaim = dropped;
            _peakConnections = active;
        }
    }

    private void Reclaim(int endedConnections, long droppedBytes)
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
