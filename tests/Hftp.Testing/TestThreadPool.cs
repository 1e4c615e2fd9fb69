using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Hftp.Testing;

/// <summary>
/// Tests share one process and some block a pool thread for seconds (a server's stop, a child process's exit). Past
/// its minimum, with the processor over 80% busy, the pool adds a thread only once nothing was dequeued for a second
/// per thread it has, so on two busy cores the socket reads other tests await (completed on pool threads) could wait
/// behind them past their own timeout. Threads up to this count are made at once, whatever the load. Measured in a
/// bare program on both cores busy: with 16 pool threads blocked, a receive whose peer closed 0.3 s in completed after
/// 9.1 s (4 blocked: 2.0 s); with the pool widened, after 0.24 s.
/// </summary>
internal static class TestThreadPool
{
    private const int MinimumThreads = 64;

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "Test support only: the pool is widened before the first test that uses this assembly.")]
    internal static void Widen()
    {
        ThreadPool.GetMinThreads(out var workers, out var completions);
        ThreadPool.SetMinThreads(Math.Max(workers, MinimumThreads), Math.Max(completions, MinimumThreads));
    }
}
