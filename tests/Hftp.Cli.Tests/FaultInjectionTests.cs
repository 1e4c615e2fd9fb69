using System.Globalization;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// Crash consistency, step by step: each file-system step of a download is failed in turn (the call throws, or
/// the "process" dies there), in a fresh start, a resume, a start-over after the file changed size, and a
/// completion; then <c>--continue</c> runs on the real file system. The only outcomes allowed are the server's
/// exact bytes with exit 0, or a non-zero exit with a message; never exit 0 with other bytes.
/// </summary>
public sealed class FaultInjectionTests : DownloadFixture
{
    private const int FileSize = 160 * 1024;

    private byte[] _source = [];

    public enum Scenario
    {
        Fresh,
        Resume,
        StartOverWithoutContinue,
        StartOverAfterSizeChange,
        Completion,
    }

    [Theory]
    [InlineData(Scenario.Fresh, Fault.FailCall)]
    [InlineData(Scenario.Fresh, Fault.Kill)]
    [InlineData(Scenario.Resume, Fault.FailCall)]
    [InlineData(Scenario.Resume, Fault.Kill)]
    [InlineData(Scenario.StartOverWithoutContinue, Fault.FailCall)]
    [InlineData(Scenario.StartOverWithoutContinue, Fault.Kill)]
    [InlineData(Scenario.StartOverAfterSizeChange, Fault.FailCall)]
    [InlineData(Scenario.StartOverAfterSizeChange, Fault.Kill)]
    [InlineData(Scenario.Completion, Fault.FailCall)]
    [InlineData(Scenario.Completion, Fault.Kill)]
    public async Task EveryStepFailedInTurnEndsByteExactOrWithANonZeroExit(Scenario scenario, Fault fault)
    {
        var steps = 0;
        for (var failAt = 1; failAt <= 200; failAt++)
        {
            var output = Saved($"s{failAt}");
            var args = await PrepareAsync(scenario, output);
            var files = new FaultyFileSystem(failAt, fault);
            var faulted = await CliRun.InvokeAsync(files, [.. args, "-H", "127.0.0.1", "-p", Port]);
            var where = $"{scenario}, {fault} at {files.Failed ?? "no step"}";
            CheckOutcome(faulted, output, where);
            if (files.Failed is null)
            {
                steps = failAt - 1;
                break; // the run took fewer steps than this: every one has been failed
            }

            if (faulted.ExitCode != ExitCodes.Success)
            {
                var resumed = await GetAsync("get", "data.bin", "--continue", "-q", "-o", output);
                CheckOutcome(resumed, output, where + ", then --continue");
                Assert.True(File.Exists(output) && TestFiles.ReadUnlocked(output).AsSpan().SequenceEqual(_source),
                    $"{where}: --continue did not end with the file ({resumed.ExitCode}: {resumed.Error}); open on it here: {OpenDescriptors(output)}");
            }
        }

        Assert.InRange(steps, 10, 199);
    }

    // Exit 0 only with the exact bytes; otherwise a message. Whenever the output exists it holds the exact bytes.
    private void CheckOutcome(CliRun run, string output, string where)
    {
        if (run.ExitCode == ExitCodes.Success)
        {
            Assert.True(TestFiles.ReadUnlocked(output).AsSpan().SequenceEqual(_source), $"{where}: exit 0 with wrong bytes\n{run.Error}");
        }
        else
        {
            Assert.Contains("hftp: ", run.Error, StringComparison.Ordinal);
            Assert.True(!File.Exists(output) || TestFiles.ReadUnlocked(output).AsSpan().SequenceEqual(_source), $"{where}: wrong bytes saved\n{run.Error}");
        }
    }

    // This process's descriptors still open on the output's part: a run that ended must have closed its own.
    private static string OpenDescriptors(string output)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "(Linux only)";
        }

        var open = new DirectoryInfo("/proc/self/fd").GetFileSystemInfos()
            .Where(fd => fd.LinkTarget?.StartsWith(output + ".part", StringComparison.Ordinal) == true)
            .Select(fd => $"fd {fd.Name} -> {fd.LinkTarget}");
        return string.Join(", ", open.DefaultIfEmpty("none"));
    }

    // Leaves what the scenario starts from, and returns the command to run with a faulty file system.
    private async Task<string[]> PrepareAsync(Scenario scenario, string output)
    {
        _source = WriteSource(FileSize);
        switch (scenario)
        {
            case Scenario.Fresh:
                return ["get", "data.bin", "-q", "-o", output];
            case Scenario.Resume:
                await LeavePartAsync(output, failAtWrite: 2);
                return ["get", "data.bin", "--continue", "-j", "2", "-q", "-o", output];
            case Scenario.StartOverWithoutContinue:
                await LeavePartAsync(output, failAtWrite: 2);
                return ["get", "data.bin", "-q", "-o", output];
            case Scenario.StartOverAfterSizeChange:
                await LeavePartAsync(output, failAtWrite: 2);
                _source = WriteSource(FileSize + 4321);
                return ["get", "data.bin", "--continue", "-q", "-o", output];
            default:
                // Every byte written and sealed; the run stopped at the rename.
                var sealedRun = await CliRun.InvokeAsync(new FaultyFileSystem(1, Fault.FailCall, onlyStep: FaultyFileSystem.FinalRename),
                    "get", "data.bin", "-q", "-o", output, "-H", "127.0.0.1", "-p", Port);
                Assert.NotEqual(ExitCodes.Success, sealedRun.ExitCode);
                return ["get", "data.bin", "--continue", "-q", "-o", output];
        }
    }

    private async Task LeavePartAsync(string output, int failAtWrite)
    {
        var run = await CliRun.InvokeAsync(new FaultyFileSystem(failAtWrite, Fault.FailCall, onlyStep: "WriteAsync"),
            "get", "data.bin", "-q", "-o", output, "-H", "127.0.0.1", "-p", Port);
        Assert.NotEqual(ExitCodes.Success, run.ExitCode);
        Assert.NotNull(ResumeState.Read(output + ".part.state", out _));
    }

    private byte[] WriteSource(int size)
    {
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        File.Delete(Server.PathOf("data.bin"));
        Server.WriteFile("data.bin", bytes);
        return bytes;
    }
}
