using Hftp.Cli;

namespace Hftp.Cli.Tests;

/// <summary>Interrupted downloads resume in any mode from any mode, byte-exact, or start over with a warning.</summary>
public sealed class ResumeTests : DownloadFixture
{
    private const long FileSize = 24L << 20;

    private string Source => Server.PathOf("data.bin");

    private string Output => Saved("data.bin");

    public ResumeTests()
    {
        TestFiles.WriteSpreadRandom(Server.PathOf("data.bin"), FileSize, spacing: 64 * 1024); // every byte random
    }

    [Fact]
    public async Task ParallelDownloadInterruptedThenContinuedOnOneConnectionIsByteExact()
    {
        var interrupted = await InterruptedGetAsync(8L << 20, "get", "data.bin", "-j", "4", "-o", Output);
        Assert.Equal(ExitCodes.Interrupted, interrupted.ExitCode);

        var run = await ResumeAsync("get", "data.bin", "--continue", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Output));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task ContinueAfterAParallelThenASingleInterruptedRunIsByteExact()
    {
        Assert.Equal(ExitCodes.Interrupted, (await InterruptedGetAsync(8L << 20, "get", "data.bin", "-j", "4", "-o", Output)).ExitCode);
        Assert.Equal(ExitCodes.Interrupted, (await InterruptedGetAsync(4L << 20, "get", "data.bin", "-o", Output)).ExitCode);

        var run = await ResumeAsync("get", "data.bin", "-c", "-j", "4", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Output));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task ContinueFetchesOnlyTheMissingBytesWithAnotherConnectionCount()
    {
        Assert.Equal(ExitCodes.Interrupted, (await InterruptedGetAsync(12L << 20, "get", "data.bin", "-j", "4", "-o", Output)).ExitCode);
        var sentBefore = ServerBytesSent();

        var run = await ResumeAsync("get", "data.bin", "-c", "-j", "3", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Output));
        var sentForResume = ServerBytesSent() - sentBefore;
        Assert.True(sentForResume < FileSize * 4 / 3 - (4L << 20),
            $"the resumed run fetched {sentForResume} bytes of base64: more than what was missing");
    }

    [Fact]
    public async Task ResumedDownloadReportsOnlyTheBytesItMoved()
    {
        Assert.Equal(ExitCodes.Interrupted, (await InterruptedGetAsync(8L << 20, "get", "data.bin", "-o", Output)).ExitCode);

        var run = await ResumeAsync("get", "data.bin", "-c", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var match = System.Text.RegularExpressions.Regex.Match(run.Error, @"saved (\d+) bytes, (\d+) in this run,");
        Assert.True(match.Success, run.Error);
        Assert.Equal(FileSize, long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        var moved = long.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(moved, 1, FileSize - (1L << 20));
    }

    [Fact]
    public async Task ContinueDoesNotTrustAPartWithoutResumeState()
    {
        var garbage = new byte[400_000];
        Array.Fill(garbage, (byte)'x');
        File.WriteAllBytes(Output + ".part", garbage);

        var run = await GetAsync("get", "data.bin", "--continue", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("starting over", run.Error, StringComparison.Ordinal);
        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Output));
    }

    [Fact]
    public async Task ContinueStartsOverWhenTheFileChangedOnTheServer()
    {
        Assert.Equal(ExitCodes.Interrupted, (await InterruptedGetAsync(8L << 20, "get", "data.bin", "-o", Output)).ExitCode);
        File.Delete(Source);
        TestFiles.WriteSpreadRandom(Source, FileSize + 12345, spacing: 64 * 1024);

        var run = await ResumeAsync("get", "data.bin", "--continue", "-j", "2", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("starting over", run.Error, StringComparison.Ordinal);
        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Output));
    }

    [Fact]
    public async Task LegacyRangesFileIsIgnoredAndRemoved()
    {
        File.WriteAllBytes(Output + ".part", new byte[FileSize]);
        File.WriteAllText(Output + ".part.ranges", $"0 {FileSize} {FileSize}\n");

        var run = await GetAsync("get", "data.bin", "--continue", "-o", Output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Output));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task FailedParallelGetLeavesNothingBehind()
    {
        var run = await GetAsync("get", "data.bin", "-j", "4", "--offset", "10", "--length", FileSize.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", Output);

        Assert.Equal(ExitCodes.ServerError, run.ExitCode);
        Assert.Contains("OFFSET EXCEEDS FILE SIZE (203)", run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Downloads));
    }

    [Fact]
    public async Task MoreConnectionsThanBytesUsesFewerConnections()
    {
        Server.WriteFile("ten", "0123456789");

        var run = await GetAsync("get", "ten", "-j", "7", "-o", Saved("ten"));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("0123456789", File.ReadAllText(Saved("ten")));
        Assert.Empty(Leftovers());
    }
}
