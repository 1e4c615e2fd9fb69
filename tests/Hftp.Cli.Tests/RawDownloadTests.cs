using System.Globalization;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// <c>hftp get</c> against the real server asks raw slices (2026), or base64 with <c>--base64</c>: the same bytes
/// either way, on one connection or many, and an interrupted download resumes in either form from either form.
/// What the server sent tells which form was used: raw is the file's size, base64 a third more.
/// </summary>
public sealed class RawDownloadTests : DownloadFixture
{
    private const long FileSize = 3L << 20;

    private string Source => Server.PathOf("data.bin");

    private string Output => Saved("data.bin");

    public RawDownloadTests()
    {
        TestFiles.WriteSpreadRandom(Server.PathOf("data.bin"), FileSize, spacing: 64 * 1024); // every byte random
    }

    [Theory]
    [InlineData("1")]
    [InlineData("4")]
    public async Task RawAndBase64DownloadsAreByteExact(string connections)
    {
        var raw = await GetAsync("get", "data.bin", "-j", connections, "-o", Saved("raw.bin"));
        Assert.Equal(ExitCodes.Success, raw.ExitCode);
        var sentRaw = await SentOnceClosedAsync();
        var base64 = await GetAsync("get", "data.bin", "-j", connections, "--base64", "-o", Saved("base64.bin"));
        Assert.Equal(ExitCodes.Success, base64.ExitCode);
        var sentBase64 = await SentOnceClosedAsync() - sentRaw;

        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Saved("raw.bin")));
        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Saved("base64.bin")));
        Assert.InRange(sentRaw, FileSize, FileSize + (64 * 1024));
        Assert.InRange(sentBase64, FileSize * 4 / 3, (FileSize * 4 / 3) + (64 * 1024));
    }

    [Theory]
    [InlineData("1", "")]
    [InlineData("4", "")]
    [InlineData("1", "--base64")]
    [InlineData("4", "--base64")]
    public async Task ChecksumIsVerifiedInEitherForm(string connections, string form)
    {
        string[] Args(params string[] args) => form.Length == 0 ? args : [.. args, form];
        var sha256 = TestFiles.HashOf(Source).ToLowerInvariant();

        var matching = await GetAsync(Args("get", "data.bin", "-j", connections, "--checksum", $"sha256={sha256}", "--print-sha256", "-o", Output));
        var wrong = await GetAsync(Args("get", "data.bin", "-j", connections, "--checksum", $"sha256={new string('0', 64)}", "-o", Saved("wrong.bin")));

        Assert.True(matching.ExitCode == ExitCodes.Success, matching.Error);
        Assert.Equal($"{sha256}  {Output}\n", matching.Output.ReplaceLineEndings("\n"));
        Assert.Equal(ExitCodes.ChecksumMismatch, wrong.ExitCode);
        Assert.False(File.Exists(Saved("wrong.bin")));
        var sent = await SentOnceClosedAsync();
        var perRun = form.Length == 0 ? FileSize : FileSize * 4 / 3;
        Assert.InRange(sent, 2 * perRun, (2 * perRun) + (64 * 1024));
    }

    [Theory]
    [InlineData("--base64", "")]
    [InlineData("", "")]
    [InlineData("", "--base64")]
    public async Task InterruptedDownloadResumesByteExactInEitherForm(string first, string then)
    {
        string[] Args(string form, params string[] args) => form.Length == 0 ? args : [.. args, form];

        await InterruptAfterItSavedSomeAsync(Args(first, "get", "data.bin", "-j", "4", "-o", Output));

        // Through the same relay: the state records the server the bytes came from, and resume checks it.
        var run = await ResumeAsync(Args(then, "get", "data.bin", "--continue", "-j", "2", "-o", Output));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(TestFiles.HashOf(Source), TestFiles.HashOf(Output));
        Assert.Empty(Leftovers());
    }

    /// <summary>
    /// Runs <c>hftp get</c> through a relay that lets 1 MiB of replies pass, and interrupts it once it has recorded
    /// progress in its resume state: on loopback that MiB can arrive before the client wrote any of it.
    /// </summary>
    private async Task InterruptAfterItSavedSomeAsync(string[] args)
    {
        var relay = Relay;
        relay.Allow(1L << 20);
        using var interrupt = new CancellationTokenSource();
        var run = CliRun.InvokeUntilAsync(interrupt.Token, [.. args, "-H", "127.0.0.1", "-p", RelayPort]);
        var saved = await Eventually.HoldsAsync(() => run.IsCompleted || (ResumeState.Read(Output + ".part.state", out _)?.Done.Count ?? 0) > 0, TestTimeouts.Condition);
        await interrupt.CancelAsync();
        var result = await run;
        relay.Release();

        Assert.True(saved, $"no resume state after {relay.Forwarded} bytes relayed");
        Assert.True(result.ExitCode == ExitCodes.Interrupted, $"exit {result.ExitCode} from the interrupted run: {result.Error}");
        Assert.Contains("stopped with", result.Error, StringComparison.Ordinal);
    }

    // Once every connection the runs opened is closed, the server has logged what each sent.
    private async Task<long> SentOnceClosedAsync()
    {
        Assert.True(await Eventually.HoldsAsync(() => Server.Server.ActiveConnections == 0, TestTimeouts.Condition), "connections stayed open");
        return ServerBytesSent();
    }
}
