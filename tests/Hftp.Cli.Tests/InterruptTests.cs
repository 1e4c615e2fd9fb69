using System.Globalization;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// The real <c>hftp</c> process stopped by SIGINT (Ctrl+C) or SIGKILL at a known point: a relay holds the
/// transfer there, so nothing depends on how fast loopback is.
/// </summary>
public sealed class InterruptTests : DownloadFixture
{
    private const long FileSize = 24L << 20;

    public InterruptTests()
    {
        TestFiles.WriteSpreadRandom(Server.PathOf("data.bin"), FileSize, spacing: 64 * 1024); // every byte random
    }

    private string Output => Saved("data.bin");

    [Fact]
    public async Task CtrlCLeavesThePartAndItsStateAndContinueFinishesIt()
    {
        Relay.Allow(6L << 20);
        using (var process = HftpProcess.Start("get", "data.bin", "-j", "3", "-o", Output, "-H", "127.0.0.1", "-p", RelayPort))
        {
            await WaitForRecordedProgressAsync(Relay, process);
            await process.SignalAsync("INT");

            Assert.Equal(ExitCodes.Interrupted, process.ExitCode);
            Assert.Contains("--continue", await process.WaitForExitAsync(), StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Output));
        var state = ResumeState.Read(Output + ".part.state", out _);
        Assert.NotNull(state);
        Assert.InRange(state.Done.Count, 1, FileSize - 1);

        Relay.Release();
        var run = await ResumeAsync("get", "data.bin", "-c", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(TestFiles.HashOf(Server.PathOf("data.bin")), TestFiles.HashOf(Output));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task KilledProcessLeavesAStateThatClaimsNoMoreThanItWroteAndContinueFinishesIt()
    {
        Relay.Allow(6L << 20);
        using (var process = HftpProcess.Start("get", "data.bin", "-o", Output, "-H", "127.0.0.1", "-p", RelayPort))
        {
            await WaitForRecordedProgressAsync(Relay, process);
            await process.SignalAsync("KILL");
        }

        var state = ResumeState.Read(Output + ".part.state", out _);
        Assert.NotNull(state);
        var source = File.ReadAllBytes(Server.PathOf("data.bin"));
        var part = File.ReadAllBytes(Output + ".part");
        foreach (var range in state.Done.Ranges)
        {
            Assert.True(source.AsSpan((int)range.Start, (int)range.Length).SequenceEqual(part.AsSpan((int)range.Start, (int)range.Length)),
                $"the state claims [{range.Start}, {range.End}) but the part does not hold those bytes");
        }

        Relay.Release();
        var run = await ResumeAsync("get", "data.bin", "-c", "-j", "4", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(TestFiles.HashOf(Server.PathOf("data.bin")), TestFiles.HashOf(Output));
    }

    // The relay has let its budget through and the state file records some of it.
    private async Task WaitForRecordedProgressAsync(TcpRelay relay, HftpProcess process)
    {
        var recorded = await Eventually.HoldsAsync(
            () => process.HasExited || (relay.Forwarded >= relay.Budget && (ResumeState.Read(Output + ".part.state", out _)?.Done.Count ?? 0) > 0),
            TestTimeouts.Transfer);
        Assert.True(recorded && !process.HasExited, "the download never recorded progress, or ended early");
    }
}
