using System.Runtime.InteropServices;

namespace Hftp.Testing;

/// <summary>The system's clock, which records, without allocating, which thread read it and how much that thread had
/// allocated by then: a server given it shows what its connection threads allocate, unmixed with any other thread.</summary>
public sealed partial class AllocationRecordingClock : TimeProvider
{
    // PR_GET_NAME: the thread's name as the system keeps it (the server's connection threads' name is 15 bytes, all kept).
    private const int GetThreadName = 16;

    private readonly Reading[] _readings = new Reading[100_000];
    private int _count;

    /// <summary>How many readings were taken so far: what <see cref="ConnectionThreadsFirstSeenAfter"/> counts from.</summary>
    public int Count => Math.Min(Volatile.Read(ref _count), _readings.Length);

    public override long GetTimestamp()
    {
        var slot = Interlocked.Increment(ref _count) - 1;
        if (slot < _readings.Length)
        {
            // Nothing here allocates: Thread.CurrentThread would, making the thread's thread-statics block (136 bytes).
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            _readings[slot] = new(Environment.CurrentManagedThreadId, IsConnectionThread(), allocated);
        }

        return base.GetTimestamp();
    }

    // Linux only: elsewhere no thread is known to be one.
    private static bool IsConnectionThread()
    {
        Span<byte> name = stackalloc byte[16];
        return OperatingSystem.IsLinux() && Prctl(GetThreadName, ref name[0], 0, 0, 0) == 0 && name.StartsWith("hftp-connection\0"u8);
    }

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, ref byte name, nint unused3, nint unused4, nint unused5);

    /// <summary>What the thread that read the clock most (a connection thread, when one client keeps asking) had
    /// allocated at each of its readings.</summary>
    public List<long> ByBusiestThread()
    {
        var readings = _readings.Take(Count).ToList();
        var busiest = readings.GroupBy(reading => reading.Thread).MaxBy(group => group.Count())!.Key;
        return [.. readings.Where(reading => reading.Thread == busiest).Select(reading => reading.Allocated)];
    }

    /// <summary>For each connection thread that first read the clock at reading <paramref name="start"/> or later, what
    /// it had allocated at each of its readings.</summary>
    public Dictionary<int, List<long>> ConnectionThreadsFirstSeenAfter(int start)
    {
        var readings = _readings.Take(Count).ToList();
        var seenBefore = readings.Take(start).Select(reading => reading.Thread).ToHashSet();
        return readings.Skip(start)
            .Where(reading => reading.OnConnectionThread && !seenBefore.Contains(reading.Thread))
            .GroupBy(reading => reading.Thread)
            .ToDictionary(group => group.Key, group => group.Select(reading => reading.Allocated).ToList());
    }

    private readonly record struct Reading(int Thread, bool OnConnectionThread, long Allocated);
}
