using System.Diagnostics;
using System.Security.Cryptography;
using Hftp.Cli;
using Hftp.Cli.Files;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// What <c>get</c> writes and where: never through a symbolic link, never over something that is not a regular
/// file, never two runs into one part, never a resume from another server's bytes, and a checksum when asked.
/// </summary>
public sealed class SafeOutputTests : DownloadFixture
{
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(300_000);

    public SafeOutputTests()
    {
        Server.WriteFile("data.bin", _content);
    }

    private string Output => Saved("data.bin");

    [Fact]
    public async Task SecondGetOfTheSameOutputWhileTheFirstRenamesRefusesAtOnce()
    {
        using var hold = new ManualResetEventSlim();
        var files = new FaultyFileSystem { HoldFinalRename = hold };
        var first = Task.Run(() => CliRun.InvokeAsync(files, "get", "data.bin", "-o", Output, "-H", "127.0.0.1", "-p", Port));
        Assert.True(files.FinalRenameReached.Wait(TestTimeouts.Transfer), "the first run never reached its rename");

        var second = await GetAsync("get", "data.bin", "--force", "-o", Output).WaitAsync(TestTimeouts.Reply);
        hold.Set();
        var firstRun = await first;

        Assert.Equal(ExitCodes.LocalError, second.ExitCode);
        Assert.Contains($"{Output}.part is in use: another hftp is saving {Output} now", second.Error, StringComparison.Ordinal);
        Assert.True(firstRun.ExitCode == ExitCodes.Success, firstRun.Error);
        Assert.Equal(_content, File.ReadAllBytes(Output));
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task SecondGetProcessRefusesAtOnceWhileTheFirstIsDownloading()
    {
        var release = new TaskCompletionSource();
        var base64 = Convert.ToBase64String(_content);
        await using var slow = ScriptedServer.Start(async connection =>
        {
            for (var request = await connection.ReadRequestAsync(); request is not null; request = await connection.ReadRequestAsync())
            {
                if (request.StartsWith("get_metadata", StringComparison.Ordinal))
                {
                    await connection.SendAsync(Hftp.Protocol.Replies.Size(_content.Length));
                }
                else if (request.StartsWith("get_slice", StringComparison.Ordinal))
                {
                    await connection.SendAsync("0 OK\r\n" + base64[..^4]);
                    await release.Task.WaitAsync(TestTimeouts.Transfer); // slow to finish
                    await connection.SendAsync(base64[^4..] + "\r\n");
                }
                else
                {
                    await connection.SendAsync("0 OK\r\n");
                    return;
                }
            }
        });
        var port = slow.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var first = HftpProcess.Start("get", "data.bin", "--base64", "-o", Output, "-H", "127.0.0.1", "-p", port); // the scripted server is classic
        Assert.True(await Eventually.HoldsAsync(() => slow.Connections.Any(c => c.Requests.Any(r => r.StartsWith("get_slice", StringComparison.Ordinal))),
            TestTimeouts.Process), "the first download never asked for its slice");

        using var second = HftpProcess.Start("get", "data.bin", "--base64", "--force", "-o", Output, "-H", "127.0.0.1", "-p", port);
        var secondError = await second.WaitForExitAsync();
        Assert.False(first.HasExited, "the first download ended before the second was refused");
        release.SetResult();
        var firstError = await first.WaitForExitAsync();

        Assert.Equal(ExitCodes.LocalError, second.ExitCode);
        Assert.Contains("is in use: another hftp is saving", secondError, StringComparison.Ordinal);
        Assert.True(first.ExitCode == ExitCodes.Success, firstError);
        Assert.Equal(_content, File.ReadAllBytes(Output));
    }

    [Fact]
    public async Task OutputThatIsASymbolicLinkIsRefusedEvenWithForce()
    {
        var target = Saved("target");
        File.WriteAllText(target, "keep me");
        File.CreateSymbolicLink(Output, target);

        var run = await GetAsync("get", "data.bin", "--force", "-o", Output);

        Assert.Equal(ExitCodes.LocalError, run.ExitCode);
        Assert.Contains("is a symbolic link", run.Error, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(target));
        Assert.Equal(target, new FileInfo(Output).LinkTarget);
    }

    [Theory]
    [InlineData(".part")]
    [InlineData(".part.state")]
    [InlineData(".part.state.tmp")]
    public async Task PlantedSymbolicLinkBesideTheOutputIsRefusedAndItsTargetUntouched(string suffix)
    {
        var target = Saved("target");
        File.WriteAllText(target, "keep me");
        File.CreateSymbolicLink(Output + suffix, target);

        var run = await GetAsync("get", "data.bin", "--continue", "-o", Output);

        Assert.Equal(ExitCodes.LocalError, run.ExitCode);
        Assert.Contains($"{Output}{suffix} is a symbolic link, not a regular file", run.Error, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(target));
        Assert.False(File.Exists(Output));
    }

    [Fact]
    public async Task DevNullIsASinkAndStaysADevice()
    {
        var run = await GetAsync("get", "data.bin", "--force", "-o", "/dev/null");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Equal(PathKind.CharacterDevice, LocalFileSystem.Instance.Inspect("/dev/null"));
        Assert.False(File.Exists("/dev/null.part"));
    }

    [Fact]
    public async Task DashStreamsToStandardOutputInOrderWithoutAPart()
    {
        var run = await GetAsync("get", "data.bin", "-o", "-", "-j", "4", "--print-sha256");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Equal(_content, run.OutputBytes);
        Assert.Contains($"{Convert.ToHexStringLower(SHA256.HashData(_content))}  -", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists("-"));
        Assert.Empty(Directory.GetFiles(Downloads));
    }

    [Fact]
    public async Task DashWhoseReaderHasGoneExitsNonZeroWithoutSayingSaved()
    {
        var info = HftpCommandLine.StartInfo(["get", "data.bin", "-o", "-", "-H", "127.0.0.1", "-p", Port]);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var process = Process.Start(info)!;
        process.StandardOutput.Close(); // the reader is gone before a byte is written, as with `| head -c 0`
        var error = await process.StandardError.ReadToEndAsync().WaitAsync(TestTimeouts.Transfer);
        await process.WaitForExitAsync().WaitAsync(TestTimeouts.Process);

        Assert.True(process.ExitCode == ExitCodes.LocalError, $"exit {process.ExitCode}: {error}");
        Assert.Contains("hftp: standard output: Broken pipe", error, StringComparison.Ordinal);
        Assert.DoesNotContain("saved", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContinueAgainstAnotherServerRefusesUnlessForced()
    {
        Assert.Equal(ExitCodes.Interrupted, (await InterruptedGetAsync(100_000, "get", "data.bin", "-o", Output)).ExitCode);
        using var other = TestServer.Start();
        var otherContent = RandomNumberGenerator.GetBytes(_content.Length); // same name, same size, other bytes
        other.WriteFile("data.bin", otherContent);
        var otherPort = other.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var refused = await CliRun.InvokeAsync("get", "data.bin", "-c", "-o", Output, "-H", "127.0.0.1", "-p", otherPort);
        var forced = await CliRun.InvokeAsync("get", "data.bin", "-c", "--force", "-o", Output, "-H", "127.0.0.1", "-p", otherPort);

        Assert.Equal(ExitCodes.LocalError, refused.ExitCode);
        Assert.Contains($"its bytes came from 127.0.0.1:{RelayPort}, not 127.0.0.1:{otherPort}; not resumed (--force starts it over)", refused.Error, StringComparison.Ordinal);
        Assert.True(forced.ExitCode == ExitCodes.Success, forced.Error);
        Assert.Equal(otherContent, File.ReadAllBytes(Output));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("4")]
    public async Task ChecksumThatMatchesSavesAndPrintsIt(string connections)
    {
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(_content));

        var run = await GetAsync("get", "data.bin", "-j", connections, "--checksum", $"sha256={sha256}", "--print-sha256", "-o", Output);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Equal($"{sha256}  {Output}\n", run.Output.ReplaceLineEndings("\n"));
        Assert.Equal(_content, File.ReadAllBytes(Output));
    }

    [Fact]
    public async Task ChecksumMismatchExitsSixAndKeepsThePart()
    {
        var wrong = new string('0', 64);

        var run = await GetAsync("get", "data.bin", "--checksum", $"sha256={wrong}", "-o", Output);

        Assert.Equal(ExitCodes.ChecksumMismatch, run.ExitCode);
        Assert.Contains($"not the {wrong} expected; kept, not renamed", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Output));
        Assert.Equal(_content, File.ReadAllBytes(Output + ".part"));
    }

    [Fact]
    public async Task FullDiskMidwaySaysWhatTheStateRecords()
    {
        var files = new FaultyFileSystem(3, Fault.FailCall, onlyStep: "WriteAsync");

        var run = await CliRun.InvokeAsync(files, "get", "data.bin", "-o", Output, "-H", "127.0.0.1", "-p", Port);

        Assert.Equal(ExitCodes.LocalError, run.ExitCode);
        var recorded = ResumeState.Read(Output + ".part.state", out _)!.Done.Count;
        Assert.InRange(recorded, 1, _content.Length - 1);
        Assert.Contains($"{Output}: stopped with {recorded} of {_content.Length} bytes;", run.Error, StringComparison.Ordinal);
        Assert.Contains($"hftp: {Output}.part: No space left on device", run.Error, StringComparison.Ordinal); // which file, not only why
    }
}
