namespace Hftp.Testing;

/// <summary>The system's clock, which records, without allocating, which thread read it and how much that thread had
/// allocated by then: a server given it shows what its connection threads allocate, unmixed with any other thread.</summary>
public sealed class AllocationRecordingClock : TimeProvider
{
    private readonly (int Thread, long Allocated)[] _readings = new (int, long)[100_000];
    private int _count;

    public override long GetTimestamp()
    {
        var slot = Interlocked.Increment(ref _count) - 1;
        if (slot < _readings.Length)
        {
            _readings[slot] = (Environment.CurrentManagedThreadId, GC.GetAllocatedBytesForCurrentThread());
        }

        return base.GetTimestamp();
    }

    /// <summary>What the thread that read the clock most (a connection thread, when one client keeps asking) had
    /// allocated at each of its readings.</summary>
    public List<long> ByBusiestThread()
    {
        var readings = _readings.Take(Math.Min(Volatile.Read(ref _count), _readings.Length)).ToList();
        var busiest = readings.GroupBy(reading => reading.Thread).MaxBy(group => group.Count())!.Key;
        return [.. readings.Where(reading => reading.Thread == busiest).Select(reading => reading.Allocated)];
    }
}
