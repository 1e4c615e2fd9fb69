using System.Diagnostics;
using Hftp.Testing;

namespace Hftp.Benchmark.Tests;

public sealed class ServerSamplerTests
{
    [Fact]
    public async Task SamplerSeesTheProcessSizeThreadsAndCpuItSpends()
    {
        using var self = Process.GetCurrentProcess();
        var sampler = new ServerSampler(Environment.ProcessId);
        var cpuBefore = self.TotalProcessorTime;

        // Spend a known amount of CPU: spin until the process has used 0.3 s more than before.
        Assert.True(await Eventually.HoldsAsync(
            () =>
            {
                var spinUntil = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 20);
                while (Stopwatch.GetTimestamp() < spinUntil)
                {
                }

                self.Refresh();
                return self.TotalProcessorTime - cpuBefore >= TimeSpan.FromSeconds(0.3);
            },
            TestTimeouts.Condition));
        var cpu = sampler.CpuSecondsSinceStart;
        sampler.Dispose();

        Assert.InRange(cpu, 0.3, 60);
        Assert.True(sampler.PeakRssKilobytes > 1024, $"peak RSS {sampler.PeakRssKilobytes} kB");
        Assert.True(sampler.PeakThreads > 1, $"peak threads {sampler.PeakThreads}");
        Assert.True(sampler.StartRssKilobytes > 0);
    }

    [Fact]
    public async Task SamplerKeepsItsLastReadingsOnceTheProcessExits()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            using var sampler = new ServerSampler(child.Id);
            Assert.True(await Eventually.HoldsAsync(() => sampler.PeakThreads > 0, TestTimeouts.Condition));

            child.Kill();
            Assert.True(child.WaitForExit(TestTimeouts.Process));

            Assert.Equal(0, sampler.CurrentRssKilobytes);
            Assert.InRange(sampler.CpuSecondsSinceStart, 0, 60);
            Assert.True(sampler.PeakRssKilobytes > 0);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }
        }
    }
}
