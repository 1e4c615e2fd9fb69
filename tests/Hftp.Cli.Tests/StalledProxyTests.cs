using System.Diagnostics;
using System.Globalization;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>A SOCKS5 proxy that accepts and then says nothing: every command gives up at --connect-timeout.</summary>
public sealed class StalledProxyTests
{
    [Theory]
    [InlineData("ls")]
    [InlineData("get", "f", "-o", "/dev/null", "--retries", "0")]
    public async Task ASilentProxyEndsTheCommandAtTheConnectTimeoutWithOneLine(params string[] command)
    {
        await using var proxy = ScriptedSocksProxy.Silent();
        var url = string.Create(CultureInfo.InvariantCulture, $"socks5h://127.0.0.1:{proxy.Port}");
        var started = Stopwatch.GetTimestamp();

        var run = await CliRun.InvokeAsync([.. command, "--connect-timeout", "0.5", "--proxy", url, "-H", "xyz.onion"]);

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.Contains("no answer within 0.5 s (the connect timeout)", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'));
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(500), TestTimeouts.Reply);
    }
}
