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

        // The runtime raised the soft RLIMIT_NOFILE to the hard one as it started; this reads what it left.
        var openFiles = ReadLimit("Max open files");
        var (realUser, privileged) = ReadUser();
        var userTasks = privileged ? null : ReadLimit("Max processes");
        var (cgroupTasks, cgroupInUse) = ReadCgroupTasks();
        return new SystemLimits
        {
            OpenFiles = openFiles,
            OpenFilesInUse = CountEntries("/proc/self/fd"),
            UserTasks = userTasks,
            UserTasksInUse = userTasks is null ? 0 : CountUserTasks(realUser),
            SystemThreads = ReadNumber("/proc/sys/kernel/threads-max"),
            ProcessIds = ReadNumber("/proc/sys/kernel/pid_max"),
            SystemTasksInUse = ReadSystemTasks(),
            CgroupTasks = cgroupTasks,
            CgroupTasksInUse = cgroupInUse,
            ProcessThreads = CountEntries("/proc/self/task"),
        };
    }

    // A soft limit from /proc/self/limits ("Max open files  1024  4096  files"); null when unlimited or unreadable.
    private static long? ReadLimit(string name)
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(line => line.StartsWith(name, StringComparison.Ordinal));
            var soft = line?[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The real user (RLIMIT_NPROC counts its tasks), and whether the kernel exempts us from that limit (root).
    private static (string RealUser, bool Privileged) ReadUser()
    {
        var ids = File.ReadLines("/proc/self/status").FirstOrDefault(line => line.StartsWith("Uid:", StringComparison.Ordinal))?
            .Split('\t', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var real = ids.ElementAtOrDefault(1) ?? "0";
        return (real, real == "0" || ids.ElementAtOrDefault(2) == "0");
    }

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
    private static long CountUserTasks(string uid)
    {
        long tasks = 0;
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
