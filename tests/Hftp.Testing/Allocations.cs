namespace Hftp.Testing;

/// <summary>What a piece of work allocates, process-wide (so the test measuring it must run alone).</summary>
public static class Allocations
{
    /// <summary>
    /// Bytes allocated per repetition of <paramref name="run"/> (given how many times to repeat): first
    /// <paramref name="warmUp"/> unmeasured (JIT, tiering, first-use objects), then <paramref name="measured"/>.
    /// </summary>
    public static double PerRepetition(Action<int> run, int warmUp, int measured)
    {
        run(warmUp);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        run(measured);
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)measured;
    }
}
