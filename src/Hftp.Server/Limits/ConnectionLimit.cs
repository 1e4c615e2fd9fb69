using System.Globalization;
using Serilog;

namespace Hftp.Server.Limits;

/// <summary>The default cap on connections at once: what the process's limits allow less a margin, as the runtime dies
/// ("Out of memory.", SIGABRT) when it cannot create a thread of its own, and files need descriptors to open.</summary>
internal static class ConnectionLimit
{
    /// <summary>Never more than this by default, whatever the limits: beyond it memory is the limit (tens of KiB each when idle).</summary>
    public const int Ceiling = 32768;

    /// <summary>Used where the limits cannot be read (not Linux).</summary>
    public const int FixedDefault = 1000;

    /// <summary>Descriptors kept free for the listener, logs, the runtime, files being opened and the metrics endpoint.</summary>
    public const int DescriptorReserve = 64;

    /// <summary>Tasks kept free for the runtime's own threads (GC, finalizer, thread pool, signal handling).</summary>
    public const int TaskReserve = 64;

    /// <summary>Memory mappings a thread adds: its stack and guard page, and the runtime's alternate signal stack and its guard.</summary>
    public const int MapsPerThread = 4;

    /// <summary>Mappings kept free for the heap, the files of slices being answered and the runtime's own growth.</summary>
    public const int MapReserve = 4096;

    /// <summary>Share of the descriptors left for sockets, the rest for files of slices being answered: two per
    /// connection would halve the clients; if all read a slice at once, an open fails (199), no worse.</summary>
    public const double SocketShare = 0.75;

    /// <summary>The default cap for these limits, and which limits decided it (for the log).</summary>
    public static (int Value, string Explanation) Derive(SystemLimits limits)
    {
        if (!OperatingSystem.IsLinux())
        {
            return (FixedDefault, "fixed default on this OS");
        }

        var bounds = new List<(long Bound, string Text)>();
        void Bound(long bound, string text) => bounds.Add((bound, $"{text}: {bound}"));
        if (limits.OpenFiles is { } openFiles)
        {
            Bound((long)((openFiles - limits.OpenFilesInUse - DescriptorReserve) * SocketShare),
                $"RLIMIT_NOFILE {openFiles} with {limits.OpenFilesInUse} open, 3/4 of the rest for sockets");
        }

        // A connection runs on its own thread: one task each.
        if (limits.UserTasks is { } userTasks)
        {
            Bound(userTasks - limits.UserTasksInUse - TaskReserve, $"RLIMIT_NPROC {userTasks} with {limits.UserTasksInUse} tasks of this user");
        }

        // Every thread on the system takes a pid, and the kernel refuses threads past threads-max.
        if (new[] { limits.SystemThreads, limits.ProcessIds }.Min() is { } systemTasks)
        {
            Bound(systemTasks - limits.SystemTasksInUse - TaskReserve,
                $"threads-max {Show(limits.SystemThreads)}, pid_max {Show(limits.ProcessIds)} with {limits.SystemTasksInUse} tasks running");
        }

        if (limits.CgroupTasks is { } cgroupTasks)
        {
            Bound(cgroupTasks - limits.CgroupTasksInUse - TaskReserve, $"cgroup pids.max {cgroupTasks} with {limits.CgroupTasksInUse} in use");
        }

        // Past vm.max_map_count a thread's stack cannot be mapped, and the runtime aborts ("Out of memory.").
        if (limits.MemoryMaps is { } maps)
        {
            Bound((maps - limits.MemoryMapsInUse - MapReserve) / MapsPerThread,
                $"vm.max_map_count {maps} with {limits.MemoryMapsInUse} mapped, {MapsPerThread} a thread");
        }

        var value = bounds.Count == 0 ? Ceiling : (int)Math.Clamp(bounds.Min(b => b.Bound), 1, Ceiling);
        var explanation = string.Join("; ", bounds.Select(b => b.Text))
            + $"; at most {Ceiling}; {DescriptorReserve} descriptors and {TaskReserve} tasks kept in reserve";
        return (value, "from " + explanation);
    }

    /// <summary>The connection cap: as configured if the limits allow it, else what they allow; logged either way.</summary>
    public static int Decide(int? maxConnections, ILogger logger)
    {
        var (allowed, explanation) = Derive(SystemLimits.Read());
        if (maxConnections is not { } configured)
        {
            logger.Information("Max connections {MaxConnections} ({Explanation})", allowed, explanation);
            return allowed;
        }

        if (configured <= allowed)
        {
            logger.Information("Max connections {MaxConnections} (as configured; the limits allow {Allowed})", configured, allowed);
            return configured;
        }

        // Past the limits the runtime itself runs out of descriptors or threads and aborts: never go there.
        logger.Warning(
            "Max connections {MaxConnections} (configured {Configured}, more than the limits allow, {Explanation}); raise the limits to serve more",
            allowed, configured, explanation);
        return allowed;
    }

    private static string Show(long? limit) => limit?.ToString(CultureInfo.InvariantCulture) ?? "unknown";
}
