using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hftp.Cli;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// Servers that lie, stall or flood: every read is bounded in bytes and time, names reach the terminal escaped,
/// and a size no disk can hold is refused before anything is written.
/// </summary>
public sealed class HostileServerTests : IDisposable
{
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-hostile-").FullName;

    public void Dispose() => Directory.Delete(_downloads, recursive: true);

    [Fact]
    public async Task ListingThatNeverEndsIsCutAtTheLimit()
    {
        await using var server = ScriptedServer.Start(async connection =>
        {
            await connection.ReadRequestAsync();
            await connection.SendAsync("0 OK\r\n");
            var names = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("name\r\n", 10_000)));
            while (true)
            {
                await connection.SendAsync(names);
            }
        });

        var run = await RunAsync(server, "ls", "--max-listing", "1000").WaitAsync(TestTimeouts.Reply);

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.Contains("The listing is longer than 1000 names or 256000 bytes (--max-listing raises the limit)", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task NamesAreEscapedUnlessRawIsAsked()
    {
        var hostile = "\u001b]0;owned\u0007x\r\n\u001b[2Jy\0z\r\n\u00ffw\u007f\\ \r\n\r\n";
        await using var server = ScriptedServer.Answering(_ => "0 OK\r\n" + hostile);

        var safe = await RunAsync(server, "ls");
        var raw = await RunAsync(server, "ls", "--raw-names");

        Assert.Equal(ExitCodes.Success, safe.ExitCode);
        Assert.Equal("\\033]0;owned\\ax\n\\033[2Jy\\000z\n\\377w\\177\\\\\\ \n", safe.Output.ReplaceLineEndings("\n"));
        Assert.Equal(Encoding.Latin1.GetBytes("\u001b]0;owned\u0007x\n\u001b[2Jy\0z\n\u00ffw\u007f\\ \n"), raw.OutputBytes);
    }

    [Fact]
    public async Task SizeNoDiskCanHoldIsRefusedWithBothFiguresAndLeavesNothing()
    {
        await using var server = ScriptedServer.Answering(request => Replies.Size(long.MaxValue));

        var run = await RunAsync(server, "get", "huge", "-o", Path.Combine(_downloads, "huge"));

        Assert.Equal(ExitCodes.LocalError, run.ExitCode);
        Assert.Matches($@"not enough space to save .*huge: {long.MaxValue} bytes \(.*\) still to write, \d+ \(.*\) available in ", run.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_downloads));
    }

    [Fact]
    public async Task ServerThatStallsAfterTheStatusLineEndsTheCommandInTheTimeout()
    {
        await using var server = ScriptedServer.Start(async connection =>
        {
            await connection.ReadRequestAsync();
            await connection.SendAsync("0 OK\r\n");
            await connection.IgnoreRequestsAsync();
        });

        var (run, elapsed) = await TimedAsync(RunAsync(server, "get", "f", "--timeout", "1", "-o", Path.Combine(_downloads, "f")));

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.Contains("The server sent only 6 bytes in 1 s", run.Error, StringComparison.Ordinal);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("stall")]
    [InlineData("trickle")]
    public async Task StalledOrTricklingSliceEndsTheDownloadInTheTimeoutAndStaysResumable(string behaviour)
    {
        var content = new byte[256 * 1024];
        Random.Shared.NextBytes(content);
        var base64 = Convert.ToBase64String(content);
        var slices = 0;
        await using var server = ScriptedServer.Start(async connection =>
        {
            for (var request = await connection.ReadRequestAsync(); request is not null; request = await connection.ReadRequestAsync())
            {
                if (request.StartsWith("get_metadata", StringComparison.Ordinal))
                {
                    await connection.SendAsync(Replies.Size(content.Length));
                    continue;
                }

                if (!request.StartsWith("get_slice", StringComparison.Ordinal))
                {
                    await connection.SendAsync("0 OK\r\n");
                    return;
                }

                // 64 KiB of the file the first time, then nothing, or a byte every 50 ms: both are no progress.
                var head = Interlocked.Increment(ref slices) == 1 ? 64 * 1024 / 3 * 4 : 0;
                await connection.SendAsync("0 OK\r\n" + base64[..head]);
                for (var index = head; behaviour == "trickle" && index < base64.Length; index++)
                {
                    await Task.Delay(50);
                    await connection.SendAsync(base64[index..(index + 1)]);
                }

                await connection.IgnoreRequestsAsync();
            }
        });
        var output = Path.Combine(_downloads, "f");

        var (run, elapsed) = await TimedAsync(RunAsync(server, "get", "f", "--base64", "--timeout", "1", "-o", output)); // a classic server that stalls

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.Contains("no progress for 1 s (--timeout); giving up", run.Error, StringComparison.Ordinal);
        Assert.True(elapsed < TimeSpan.FromSeconds(2.2), $"{elapsed}: {run.Error}");
        Assert.InRange(ResumeState.Read(output + ".part.state", out _)!.Done.Count, 64 * 1024 - 3, content.Length - 1);
    }

    [Fact]
    public async Task TimeoutsAreOptionsOfEveryCommandAndCheckTheirValue()
    {
        var help = await CliRun.InvokeAsync("ls", "--help");
        var bad = await CliRun.InvokeAsync("ls", "--timeout", "soon");

        Assert.Contains("--connect-timeout", help.Output, StringComparison.Ordinal);
        Assert.Contains("--timeout", help.Output, StringComparison.Ordinal);

        // Each default said once, by the parser: 00:00:05, 00:00:30, 100000.
        var lines = help.Output.ReplaceLineEndings("\n").Split('\n');
        foreach (var (option, value) in new[] { ("--connect-timeout", "00:00:05"), ("--timeout", "00:00:30"), ("--max-listing", "100000") })
        {
            var line = Assert.Single(lines, line => line.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
            Assert.EndsWith($"[default: {value}]", line, StringComparison.Ordinal);
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(line, @"\[default:"));
        }
        Assert.Equal(ExitCodes.Usage, bad.ExitCode);
        Assert.Contains("--timeout must be a duration", bad.Error, StringComparison.Ordinal);
    }

    private static Task<CliRun> RunAsync(ScriptedServer server, params string[] args) =>
        CliRun.InvokeAsync([.. args, "-H", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture)]);

    private static async Task<(CliRun Run, TimeSpan Elapsed)> TimedAsync(Task<CliRun> running)
    {
        var started = Stopwatch.StartNew();
        var run = await running.WaitAsync(TestTimeouts.Reply);
        return (run, started.Elapsed);
    }
}
