using System.Diagnostics;

namespace Hftp.Benchmark;

/// <summary>
/// A server process's thread count and open file descriptors (<c>/proc/PID/status</c> Threads,
/// <c>/proc/PID/fd</c> entries): what a leak of connections, threads or file handles would grow.
/// </summary>
internal readonly record struct ServerResources(int Threads, int FileDescriptors)
{
    // Not Process.Threads or Process.HandleCount: on Linux both read every thread's stat file (see ServerSampler).
    public static ServerResources Read(int pid)
    {
        var (_, threads) = ServerSampler.ReadStatus(pid);
        var descriptors = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count();
        return new ServerResources(threads, descriptors);
    }

    /// <summary>Within <paramref name="tolerance"/> of <paramref name="baseline"/> on both counts.</summary>
    public bool IsBackTo(ServerResources baseline, int tolerance) =>
        Threads <= baseline.Threads + tolerance && FileDescriptors <= baseline.FileDescriptors + tolerance;

    /// <summary>
    /// Polls until the counts are back within <paramref name="tolerance"/> of <paramref name="baseline"/> or
    /// <paramref name="bound"/> has passed; returns the last reading and how long it took.
    /// </summary>
    public static (ServerResources Last, bool Settled, TimeSpan Waited) WaitForBaseline(int pid, ServerResources baseline, int tolerance, TimeSpan bound)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var now = Read(pid);
            var waited = Stopwatch.GetElapsedTime(started);
            if (now.IsBackTo(baseline, tolerance) || waited >= bound)
            {
                return (now, now.IsBackTo(baseline, tolerance), waited);
            }

            Thread.Sleep(50); // polling /proc: the server has no event to wait on
        }
    }
}
