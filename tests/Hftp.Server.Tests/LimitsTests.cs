using Hftp.Server.Limits;
using Microsoft.Extensions.Time.Testing;

namespace Hftp.Server.Tests;

public sealed class LimitsTests
{
    [Fact]
    public void TheCapKeepsAMarginBelowTheDescriptorLimit()
    {
        var limits = new SystemLimits { OpenFiles = 1024, OpenFilesInUse = 30, SystemThreads = 100_000, ProcessIds = 100_000, SystemTasksInUse = 200 };

        var (value, explanation) = ConnectionLimit.Derive(limits);

        Assert.Equal((int)((1024 - 30 - ConnectionLimit.DescriptorReserve) * ConnectionLimit.SocketShare), value);
        Assert.Contains("RLIMIT_NOFILE 1024 with 30 open", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCapKeepsTasksForTheRuntimeBelowTheUserTaskLimit()
    {
        var limits = new SystemLimits { OpenFiles = 20_000, OpenFilesInUse = 30, UserTasks = 400, UserTasksInUse = 25, ProcessIds = 32_768, SystemTasksInUse = 300 };

        var (value, explanation) = ConnectionLimit.Derive(limits);

        Assert.Equal(400 - 25 - ConnectionLimit.TaskReserve, value);
        Assert.Contains("RLIMIT_NPROC 400 with 25 tasks of this user", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCapFollowsTheSmallestOfTheSystemWideAndCgroupLimits()
    {
        var limits = new SystemLimits { SystemThreads = 5000, ProcessIds = 4000, SystemTasksInUse = 1000, CgroupTasks = 2000, CgroupTasksInUse = 100 };

        Assert.Equal(1900 - ConnectionLimit.TaskReserve, ConnectionLimit.Derive(limits).Value);
        Assert.Equal(3000 - ConnectionLimit.TaskReserve, ConnectionLimit.Derive(limits with { CgroupTasks = null }).Value);
    }

    [Fact]
    public void TheCapLeavesRoomForEveryThreadsStackUnderTheMappingLimit()
    {
        // Debian's default vm.max_map_count: 10,000 connections fit, 20,000 threads did not (the runtime aborted).
        var limits = new SystemLimits { OpenFiles = 1_000_000, MemoryMaps = 65_530, MemoryMapsInUse = 900 };

        var (value, explanation) = ConnectionLimit.Derive(limits);

        Assert.Equal((65_530 - 900 - ConnectionLimit.MapReserve) / ConnectionLimit.MapsPerThread, value);
        Assert.InRange(value, 10_000, 20_000);
        Assert.Contains($"vm.max_map_count 65530 with 900 mapped, {ConnectionLimit.MapsPerThread} a thread", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCapNeverExceedsTheCeilingNorFallsBelowOne()
    {
        Assert.Equal(ConnectionLimit.Ceiling, ConnectionLimit.Derive(new SystemLimits { OpenFiles = 10_000_000 }).Value);
        Assert.Equal(1, ConnectionLimit.Derive(new SystemLimits { OpenFiles = 10, OpenFilesInUse = 8 }).Value);
    }

    [Fact]
    public void ReadingTheLimitsSeesThisProcess()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // limits are read from Linux's /proc and getrlimit; elsewhere the cap is a fixed default
        }

        var limits = SystemLimits.Read();

        Assert.True(limits.OpenFiles > limits.OpenFilesInUse);
        Assert.True(limits.OpenFilesInUse > 2);
        Assert.True(limits.SystemTasksInUse > Environment.ProcessorCount);
        Assert.True(limits.MemoryMaps > limits.MemoryMapsInUse && limits.MemoryMapsInUse > 10);
    }

    [Fact]
    public void AWarningIsDueAtMostOncePerInterval()
    {
        var time = new FakeTimeProvider();
        var throttle = new WarningThrottle(TimeSpan.FromMilliseconds(200), time);

        Assert.True(throttle.Record(out var first));
        var later = Enumerable.Range(0, 5).Select(_ => throttle.Record(out _)).ToList();
        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(throttle.Record(out _));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(throttle.Record(out var summed));

        Assert.Equal(1, first);
        Assert.All(later, Assert.False);
        Assert.Equal(7, summed);
    }
}
