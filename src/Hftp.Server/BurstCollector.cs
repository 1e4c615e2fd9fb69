using System.Diagnostics;
using Serilog;

namespace Hftp.Server;

/// <summary>Gives memory back after a burst of connections, which nothing else would: with the clients gone the server
/// allocates almost nothing, so the runtime never collects what they left (unpooled reply buffers, sockets, connection
/// state). It collects once the connections at once since the last collection exceeded <c>burstSize</c> and are down to
/// <c>quietSize</c> or fewer: never without a burst, once per burst. Aggressive, as only that mode decommits the freed
/// heap at once. bench/memory.sh, RSS 30 s after each load (500 x 20 MiB slices; 1,000 stalled readers; 10,000 idle
/// connections), 2026-12-06, 2 cores: 189, 334, 399 MiB without this, 87, 71, 144 MiB with it, for one pause of
/// 11-277 ms (docs/performance.md). A default collection (tried first: bench/memory.sh, trial build, 2026-12-06 20:29
/// UTC) emptied the heap as well but left RSS at 298 MiB after the stalled readers.</summary>
internal sealed class BurstCollector(int burstSize, int quietSize, ILogger logger)
{
    private readonly Lock _lock = new();
    private int _peak;

    /// <summary>On the heartbeat, with the most connections at once since the last one and those served now. The quiet
    /// size is at most the burst size, so the connections left after a collection are no new burst.</summary>
    public void Observe(int peakSinceLastHeartbeat, int connections)
    {
        lock (_lock)
        {
            _peak = Math.Max(_peak, peakSinceLastHeartbeat);
            if (_peak <= burstSize || connections > quietSize)
            {
                return;
            }

            var peak = _peak;
            _peak = connections;
            var heapBefore = GC.GetTotalMemory(forceFullCollection: false);
            var rssBefore = Environment.WorkingSet;
            var started = Stopwatch.GetTimestamp();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

            // After: the heap that collection left (GetTotalMemory read -1 or -2 MiB right after an aggressive one).
            logger.Information(
                "Gave memory back after a burst of {Peak} connections: managed heap {HeapBefore} -> {HeapAfter} MiB, RSS {RssBefore} -> {RssAfter} MiB, in {Milliseconds:0} ms",
                peak, heapBefore >> 20, GC.GetGCMemoryInfo().HeapSizeBytes >> 20, rssBefore >> 20, Environment.WorkingSet >> 20,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
