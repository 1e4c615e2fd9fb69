using System.Diagnostics;
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
/// thread-pool threads and exits when a timer callback needs one. A collection stops every thread and scans each one's
/// stack (about 40 ms for a full one with 10,000 threads), so while many connection threads are alive it waits:
/// every client would feel the stall.
/// </summary>
public sealed partial class MemoryReclaimer : IDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);

    /// <summary>Dropped reply-buffer memory worth a collection.</summary>
    public const long DroppedBytesWorthReclaiming = 16L << 20;

    /// <summary>Connections ended since the last collection worth one (each leaves a thread's and a socket's state).</summary>
    public const int EndedConnectionsWorthReclaiming = 256;

    /// <summary>Connection threads alive at most for a collection to be a short stall (a few milliseconds).</summary>
    public const int MaxThreadsForCollection = 512;

    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly Func<int> _connectionThreads;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private (long Dropped, long Ended) _lastCheck;
    private (long Dropped, long Ended) _lastReclaim;

    /// <summary>Starts checking every <paramref name="interval"/>; <paramref name="connectionThreads"/> tells how many connection threads are alive.</summary>
    public MemoryReclaimer(ILogger logger, TimeSpan interval, Func<int> connectionThreads)
    {
        _logger = logger;
        _interval = interval;
        _connectionThreads = connectionThreads;
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
        if (burstOver && (dropped >= DroppedBytesWorthReclaiming || ended >= EndedConnectionsWorthReclaiming)
            && _connectionThreads() <= MaxThreadsForCollection)
        {
            Reclaim(ended, dropped);
            _lastReclaim = now;
        }
    }

    private void Reclaim(long endedConnections, long droppedBytes)
    {
        var started = Stopwatch.GetTimestamp();
        var before = Environment.WorkingSet;
        // Twice, around the finalizers: ended threads give their native runtime state back only once their Thread
        // objects are finalized, and the second collection frees what the finalizers released.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            TrimNativeHeap();
        }

        var after = Environment.WorkingSet;
        _logger.Information(
            "Gave memory back after a burst ({Connections} connections ended, {Dropped} MiB of reply buffers dropped): RSS {Before} MiB -> {After} MiB in {Milliseconds:0} ms",
            endedConnections, droppedBytes >> 20, before >> 20, after >> 20, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    // glibc's; musl has none, and macOS and Windows have other allocators: there is nothing to trim then.
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void TrimNativeHeap()
    {
        try
        {
            _ = MallocTrim(0);
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
