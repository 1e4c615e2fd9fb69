using System.Globalization;

namespace Hftp.Server.Limits;

/// <summary>
/// What the kernel lets this process have, read once at start: open files (RLIMIT_NOFILE) and tasks, i.e.
/// threads (RLIMIT_NPROC for the user, threads-max and pid_max for the system, pids.max for the cgroup), each
/// with how much is already in use. Null where there is no limit or it cannot be read.
/// </summary>
internal sealed record SystemLimits
{
    public long? OpenFiles { get; init; }

    public long OpenFilesInUse { get; init; }

    /// <summary>Set when the soft open-file limit was raised to the hard one at start: the soft limit before.</summary>
    public long? OpenFilesRaisedFrom { get; init; }

    /// <summary>RLIMIT_NPROC: counts every task (process or thread) of the user, not just this process's.</summary>
    public long? UserTasks { get; init; }

    public long UserTasksInUse { get; init; }

    public long? SystemThreads { get; init; }

    public long? ProcessIds { get; init; }

    public long SystemTasksInUse { get; init; }

    public long? CgroupTasks { get; init; }

    public long CgroupTasksInUse { get; init; }

    public long ProcessThreads { get; init; }

    /// <summary>Reads the limits; on Linux it first raises the soft open-file limit to the hard one, as Go's runtime does.</summary>
    public static SystemLimits Read()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new SystemLimits();
        }

        var raisedFrom = RaiseOpenFileLimit();
        var openFiles = ReadLimit(LinuxLimits.OpenFiles);
        var userTasks = IsPrivileged() ? null : ReadLimit(LinuxLimits.ProcessCount);
        var (cgroupTasks, cgroupInUse) = ReadCgroupTasks();
        return new SystemLimits
        {
            OpenFiles = openFiles,
            OpenFilesInUse = CountEntries("/proc/self/fd"),
            OpenFilesRaisedFrom = raisedFrom,
            UserTasks = userTasks,
            UserTasksInUse = userTasks is null ? 0 : CountUserTasks(LinuxLimits.RealUserId()),
            SystemThreads = ReadNumber("/proc/sys/kernel/threads-max"),
            ProcessIds = ReadNumber("/proc/sys/kernel/pid_max"),
            SystemTasksInUse = ReadSystemTasks(),
            CgroupTasks = cgroupTasks,
            CgroupTasksInUse = cgroupInUse,
            ProcessThreads = CountEntries("/proc/self/task"),
        };
    }

    private static long? RaiseOpenFileLimit()
    {
        if (!LinuxLimits.TryGet(LinuxLimits.OpenFiles, out var limit) || limit.Current >= limit.Maximum)
        {
            return null;
        }

        var before = limit.Current;
        limit.Current = limit.Maximum;
        return LinuxLimits.TrySet(LinuxLimits.OpenFiles, limit) ? (long)before : null;
    }

    private static long? ReadLimit(int resource) =>
        LinuxLimits.TryGet(resource, out var limit) && limit.Current != LinuxLimits.Unlimited && limit.Current < long.MaxValue
            ? (long)limit.Current
            : null;

    // The kernel does not apply RLIMIT_NPROC to root (or to CAP_SYS_RESOURCE / CAP_SYS_ADMIN).
    private static bool IsPrivileged() => LinuxLimits.EffectiveUserId() == 0 || LinuxLimits.RealUserId() == 0;

    private static long CountEntries(string directory)
    {
        try
        {
            return System.IO.Directory.EnumerateFileSystemEntries(directory).LongCount();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static long? ReadNumber(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The fourth field of /proc/loadavg is "running/total": total is every task on the system.
    private static long ReadSystemTasks()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            var slash = fields.Length > 3 ? fields[3].IndexOf('/', StringComparison.Ordinal) : -1;
            return slash >= 0 && long.TryParse(fields[3].AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var total)
                ? total
                : 0;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    // RLIMIT_NPROC counts the threads of every process whose real user is ours.
    private static long CountUserTasks(uint userId)
    {
        long tasks = 0;
        var uid = userId.ToString(CultureInfo.InvariantCulture);
        foreach (var directory in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(directory)[0]))
            {
                continue;
            }

            try
            {
                string? realUser = null;
                long threads = 0;
                foreach (var line in File.ReadLines(Path.Combine(directory, "status")))
                {
                    if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    {
                        realUser = line.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
                    }
                    else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    {
                        _ = long.TryParse(line.AsSpan("Threads:".Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out threads);
                    }
                }

                if (realUser == uid)
                {
                    tasks += threads;
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return tasks;
    }

    // Containers cap tasks with the pids controller: cgroup v2 "0::/path", or v1 "N:pids:/path".
    private static (long? Limit, long InUse) ReadCgroupTasks()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/cgroup"))
            {
                var parts = line.Split(':', 3);
                if (parts.Length != 3)
                {
                    continue;
                }

                var directory = parts[1] switch
                {
                    "" when parts[0] == "0" => "/sys/fs/cgroup" + parts[2],
                    "pids" => "/sys/fs/cgroup/pids" + parts[2],
                    _ => null,
                };
                if (directory is not null && ReadNumber(Path.Combine(directory, "pids.max")) is { } limit)
                {
                    return (limit, ReadNumber(Path.Combine(directory, "pids.current")) ?? 0);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // No cgroup information: no cgroup limit to respect.
        }

        return (null, 0);
    }
}
