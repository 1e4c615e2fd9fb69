namespace Hftp.Benchmark;

/// <summary>
/// Latencies in microseconds, counted in fixed buckets (1 µs wide to 10 ms, then 100 µs wide to 10 s) that
/// every connection thread increments, and the exact maximum: recording never allocates.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int FineLimit = 10_000;
    private const int CoarseWidth = 100;
    private const int CoarseBuckets = 100_000;

    private readonly long[] _counts = new long[FineLimit + CoarseBuckets + 1];
    private long _maxMicroseconds;
    private long _sumMicroseconds;

    public long Count => _counts.Sum();

    /// <summary>The largest latency recorded, exactly (a percentile answers a bucket's upper edge).</summary>
    public long MaxMicroseconds => Interlocked.Read(ref _maxMicroseconds);

    /// <summary>The mean latency, exact (not from the buckets).</summary>
    public double MeanMicroseconds => Count == 0 ? double.NaN : (double)Interlocked.Read(ref _sumMicroseconds) / Count;

    public void Record(long microseconds)
    {
        var bucket = microseconds < FineLimit
            ? (int)Math.Max(0, microseconds)
            : FineLimit + (int)Math.Min(CoarseBuckets, (microseconds - FineLimit) / CoarseWidth);
        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Add(ref _sumMicroseconds, microseconds);
        for (var max = Interlocked.Read(ref _maxMicroseconds); microseconds > max; max = Interlocked.Read(ref _maxMicroseconds))
        {
            if (Interlocked.CompareExchange(ref _maxMicroseconds, microseconds, max) == max)
            {
                break;
            }
        }
    }

    /// <summary>The latency, in microseconds, under which <paramref name="fraction"/> of the requests completed.</summary>
    public double Percentile(double fraction)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(fraction * total);
        long seen = 0;
        for (var bucket = 0; bucket < _counts.Length; bucket++)
        {
            seen += _counts[bucket];
            if (seen >= rank)
            {
                // A coarse bucket answers its upper edge, which the exact maximum bounds.
                return bucket < FineLimit ? bucket : Math.Min(FineLimit + ((bucket - FineLimit + 1) * (double)CoarseWidth), MaxMicroseconds);
            }
        }

        return double.PositiveInfinity;
    }
}
