using System.Globalization;

namespace Hftp.Server.Limits;

/// <summary>What the kernel lets this process have, read once at start, each with how much is in use: open files
/// (RLIMIT_NOFILE) and tasks, i.e. threads (RLIMIT_NPROC for the user, counting all its tasks, not only this process's;
/// threads-max and pid_max for the system; pids.max for the cgroup), and memory mappings (vm.max_map_count: each
/// thread's stack takes some). Null if unlimited or unreadable.</summary>
internal sealed record SystemLimits(
    long? OpenFiles = null, long OpenFilesInUse = 0,
    long? UserTasks = null, long UserTasksInUse = 0,
    long? SystemThreads = null, long? ProcessIds = null, long SystemTasksInUse = 0,
    long? CgroupTasks = null, long CgroupTasksInUse = 0,
    long? MemoryMaps = null, long MemoryMapsInUse = 0)
{
    /// <summary>Reads the limits from Linux's /proc; where it cannot be read (other systems), they stay unknown.</summary>
    public static SystemLimits Read()
    {
        var (realUser, privileged) = ReadUser();
        var userTasks = privileged ? null : ReadLimit("Max processes");
        var (cgroupTasks, cgroupInUse) = ReadCgroupTasks();
        return new SystemLimits
        {
            // The runtime raised the soft RLIMIT_NOFILE to the hard one as it started; this reads what it left.
            OpenFiles = ReadLimit("Max open files"),
            OpenFilesInUse = CountEntries("/proc/self/fd"),
            UserTasks = userTasks,
            UserTasksInUse = userTasks is null ? 0 : CountUserTasks(realUser),
            SystemThreads = ReadNumber("/proc/sys/kernel/threads-max"),
            ProcessIds = ReadNumber("/proc/sys/kernel/pid_max"),
            SystemTasksInUse = ReadSystemTasks(),
            CgroupTasks = cgroupTasks,
            CgroupTasksInUse = cgroupInUse,
            MemoryMaps = ReadNumber("/proc/sys/vm/max_map_count"),
            MemoryMapsInUse = ReadOr(0, () => File.ReadLines("/proc/self/maps").LongCount()),
        };
    }

    // What /proc or /sys says, or the fallback where it cannot be read (a locked-down container, a process that ended).
    private static T ReadOr<T>(T fallback, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return fallback;
        }
    }

    // A soft limit from /proc/self/limits ("Max open files  1024  4096  files"); null when unlimited or unreadable.
    private static long? ReadLimit(string name) => ReadOr(null, () => ParseNumber(
        File.ReadLines("/proc/self/limits").FirstOrDefault(line => line.StartsWith(name, StringComparison.Ordinal))?[name.Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()));

    private static long? ReadNumber(string path) => ReadOr(null, () => ParseNumber(File.ReadAllText(path).Trim()));

    private static long CountEntries(string directory) => ReadOr(0, () => Directory.EnumerateFileSystemEntries(directory).LongCount());

    // The fourth field of /proc/loadavg is "running/total": total is every task on the system.
    private static long ReadSystemTasks() => ReadOr(0, () =>
        File.ReadAllText("/proc/loadavg").Split(' ') is [_, _, _, var tasks, ..] && tasks.Split('/') is [_, var total]
            ? ParseNumber(total) ?? 0
            : 0);

    // The real user (RLIMIT_NPROC counts its tasks), and whether the kernel exempts us from that limit (root). Unread,
    // as in a locked-down container: no user whose tasks can be counted, and the limit taken to apply.
    private static (string RealUser, bool Privileged) ReadUser() => ReadOr((string.Empty, false), () =>
    {
        var ids = StatusField(File.ReadLines("/proc/self/status"), "Uid:");
        var real = ids.ElementAtOrDefault(0) ?? "0";
        return (real, real == "0" || ids.ElementAtOrDefault(1) == "0");
    });

    // RLIMIT_NPROC counts the threads of every process whose real user is ours.
    private static long CountUserTasks(string uid) => ReadOr(0, () => Directory.EnumerateDirectories("/proc")
        .Where(directory => char.IsAsciiDigit(Path.GetFileName(directory)[0]))
        .Sum(directory => ReadOr(0, () =>
        {
            var status = File.ReadAllLines(Path.Combine(directory, "status"));
            return StatusField(status, "Uid:").FirstOrDefault() == uid ? ParseNumber(StatusField(status, "Threads:").FirstOrDefault()) ?? 0 : 0;
        })));

    // Containers cap tasks with the pids controller: cgroup v2 "0::/path", or v1 "N:pids:/path".
    private static (long? Limit, long InUse) ReadCgroupTasks() => ReadOr<(long?, long)>((null, 0), () =>
    {
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var directory = line.Split(':', 3) switch
            {
                ["0", "", var path] => "/sys/fs/cgroup" + path,
                [_, "pids", var path] => "/sys/fs/cgroup/pids" + path,
                _ => null,
            };
            if (directory is not null && ReadNumber(Path.Combine(directory, "pids.max")) is { } limit)
            {
                return (limit, ReadNumber(Path.Combine(directory, "pids.current")) ?? 0);
            }
        }

        return (null, 0);
    });

    // The values of a "Name:\tvalue\tvalue" line of a /proc status file.
    private static string[] StatusField(IEnumerable<string> lines, string name) =>
        lines.FirstOrDefault(line => line.StartsWith(name, StringComparison.Ordinal))?[name.Length..]
            .Split('\t', StringSplitOptions.RemoveEmptyEntries) ?? [];

    private static long? ParseNumber(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
}
