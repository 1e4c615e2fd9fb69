using System.Net;
using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class CommandLineTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TestTimeouts.Process;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task StartedProcessLogsItsPortServesAndExitsZeroOnSigterm()
    {
        File.WriteAllText(Path.Combine(_directory, "f.txt"), "hello");
        using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        var port = await server.WaitForPortAsync(ProcessTimeout);

        using (var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, port)))
        {
            await client.SendAsync(Requests.GetMetadata("f.txt") + Requests.Quit);
            await client.ExpectAsync(Replies.Size(5) + StatusCode.Ok.StatusLineText());
        }

        using var idle = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, port));
        Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("Connected by", StringComparison.Ordinal), ProcessTimeout));
        server.Terminate();

        // Well before the shutdown timeout: an idle connection does not hold the exit.
        Assert.True(server.WaitForExit(new ServerOptions().ShutdownTimeout / 2), "the server did not exit after SIGTERM");
        Assert.Equal(0, server.ExitCode);
        await idle.ExpectClosedAsync(TestTimeouts.Reply);
        Assert.Contains("Stopped", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void BusyPortIsOneLineAndExitCodeTwo()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        using var server = ServerProcess.Start("--port", port, "--address", "127.0.0.1", "--dir", _directory);

        Assert.True(server.WaitForExit(ProcessTimeout));
        Assert.Equal(ServerCommand.StartupFailed, server.ExitCode);
        Assert.Equal($"hftp-server: cannot listen on 127.0.0.1:{port}: Address already in use", server.Error);
    }

    [Theory]
    [InlineData("--port", "70000", "--port must be a whole number from 0 to 65535 (got '70000').")]
    [InlineData("--port", "-1", "--port must be a whole number from 0 to 65535 (got '-1').")]
    [InlineData("--port", "http", "--port must be a whole number from 0 to 65535 (got 'http').")]
    [InlineData("--address", "not-an-ip", "'not-an-ip' is not an IPv4 or IPv6 address")]
    [InlineData("--log-level", "loud", "--log-level: 'loud' is not one of verbose, debug, information, warning, error, fatal.")]
    [InlineData("--max-request-line", "lots", "--max-request-line must be a whole number of bytes, 64 or more (got 'lots').")]
    [InlineData("--max-request-line", "10", "--max-request-line must be a whole number of bytes, 64 or more (got '10').")]
    [InlineData("--max-connections", "0", "--max-connections must be a whole number, 1 or more (got '0').")]
    [InlineData("--idle-timeout", "soon", "--idle-timeout must be a duration such as 300ms, 60s or 5m, or 'off' (got 'soon').")]
    [InlineData("--request-timeout", "-1s", "--request-timeout must be a duration such as 300ms, 60s or 5m, or 'off' (got '-1s').")]
    [InlineData("--send-timeout", "5 min", "--send-timeout must be a duration such as 300ms, 60s or 5m, or 'off' (got '5 min').")]
    [InlineData("--shutdown-timeout", "off", "--shutdown-timeout must be a duration such as 300ms, 60s or 5m (got 'off').")]
    [InlineData("--log-buffer", "0", "--log-buffer must be a whole number from 16 to 10000000 (got '0').")]
    [InlineData("--min-spare-threads", "-1", "--min-spare-threads must be a whole number from 0 to 100000 (got '-1').")]
    [InlineData("--max-spare-threads", "many", "--max-spare-threads must be a whole number from 0 to 100000 (got 'many').")]
    public async Task BadOptionIsAShortErrorAndExitCodeOne(string option, string value, string expected)
    {
        using var error = new StringWriter();

        var exitCode = await ServerCommand.InvokeAsync([option, value], error);

        Assert.Equal(ServerCommand.UsageError, exitCode);
        var lines = error.ToString().TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Equal("Try 'hftp-server --help' for more information.", lines[1].TrimEnd());
        Assert.StartsWith("hftp-server: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void HelpListsEveryOption()
    {
        using var output = new StringWriter();
        var parseResult = ServerCommand.Create().Parse(["--help"]);

        var exitCode = parseResult.Invoke(new System.CommandLine.InvocationConfiguration { Output = output });

        Assert.Equal(0, exitCode);
        foreach (var option in new[]
        {
            "--port", "-p", "--dir", "-d", "--datadir", "--address", "-a", "--log-level", "--log-format", "--log-file", "--metrics", "--max-request-line", "--max-connections", "--log-buffer", "--proxy-protocol",
            "--idle-timeout", "--request-timeout", "--send-timeout", "--shutdown-timeout", "--min-spare-threads", "--max-spare-threads", "--version",
        })
        {
            Assert.Contains(option, HelpAliases(output.ToString()));
        }
    }

    // Each option line's first column, e.g. "  -d, --datadir, --dir <DIR>", split into whole aliases: a substring
    // search would find "-p" inside "--port" even with the short alias gone.
    private static HashSet<string> HelpAliases(string help) => help.Split('\n')
        .Select(line => line.TrimStart())
        .Where(line => line.StartsWith('-'))
        .SelectMany(line => line.Split("  ")[0].Split(", "))
        .Select(alias => alias.Split(' ')[0])
        .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void OptionsHaveTheDocumentedDefaults()
    {
        var command = ServerCommand.Create();
        var parseResult = command.Parse([]);

        Assert.Empty(parseResult.Errors);
        Assert.Equal(19500, parseResult.GetValue<int>("--port"));
        Assert.Equal(IPAddress.Any, parseResult.GetValue<IPAddress>("--address"));
        Assert.Equal("testdata", parseResult.GetValue<DirectoryInfo>("--dir")!.Name);
        Assert.Equal(16L * 1024 * 1024, parseResult.GetValue<long>("--max-request-line"));
        Assert.Null(parseResult.GetValue<int?>("--max-connections"));
        Assert.Equal(TimeSpan.FromMinutes(5), parseResult.GetValue<TimeSpan>("--idle-timeout"));
        Assert.Equal(TimeSpan.FromSeconds(60), parseResult.GetValue<TimeSpan>("--request-timeout"));
        Assert.Equal(TimeSpan.FromSeconds(60), parseResult.GetValue<TimeSpan>("--send-timeout"));
        Assert.Equal(TimeSpan.FromSeconds(10), parseResult.GetValue<TimeSpan>("--shutdown-timeout"));
        Assert.Equal(10_000, parseResult.GetValue<int>("--log-buffer"));
        Assert.Equal(16, parseResult.GetValue<int>("--min-spare-threads"));
        Assert.Equal(256, parseResult.GetValue<int>("--max-spare-threads"));
    }

    [Theory]
    [InlineData("300ms", 300)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("45", 45_000)]
    public void DurationsTakeAUnitAndBareNumbersAreSeconds(string text, int milliseconds)
    {
        var parseResult = ServerCommand.Create().Parse(["--idle-timeout", text, "--shutdown-timeout", text]);

        Assert.Empty(parseResult.Errors);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), parseResult.GetValue<TimeSpan>("--idle-timeout"));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), parseResult.GetValue<TimeSpan>("--shutdown-timeout"));
    }

    [Theory]
    [InlineData("off")]
    [InlineData("0")]
    public void ATimeoutOfZeroOrOffIsNone(string text)
    {
        var parseResult = ServerCommand.Create().Parse(["--idle-timeout", text, "--request-timeout", text, "--send-timeout", text]);

        Assert.Empty(parseResult.Errors);
        Assert.Equal(Timeout.InfiniteTimeSpan, parseResult.GetValue<TimeSpan>("--idle-timeout"));
        Assert.Equal(Timeout.InfiniteTimeSpan, parseResult.GetValue<TimeSpan>("--request-timeout"));
        Assert.Equal(Timeout.InfiniteTimeSpan, parseResult.GetValue<TimeSpan>("--send-timeout"));
    }

    [Fact]
    public async Task ProcessHonoursTheTimeoutAndCapOptions()
    {
        using var server = ServerProcess.Start(
            "--port", "0", "--address", "127.0.0.1", "--dir", _directory, "--idle-timeout", "300ms", "--max-connections", "3");
        var port = await server.WaitForPortAsync(ProcessTimeout);

        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, port));
        await client.ExpectClosedAsync(TestTimeouts.Reply);

        Assert.Contains("Max connections 3 (as configured", server.Output, StringComparison.Ordinal);
        Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("(IdleTimeout)", StringComparison.Ordinal), ProcessTimeout));
    }

    [Fact]
    public async Task ProcessHonoursTheSpareThreadOptions()
    {
        using var server = ServerProcess.Start(
            "--port", "0", "--address", "127.0.0.1", "--dir", _directory, "--min-spare-threads", "3", "--max-spare-threads", "5");
        await server.WaitForPortAsync(ProcessTimeout);

        Assert.Contains("Connection threads: 3 to 5 kept idle for reuse (those beyond 3 end after 60 s idle)", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void DatadirIsAnAliasOfDir()
    {
        var parseResult = ServerCommand.Create().Parse(["--datadir", "elsewhere"]);

        Assert.Equal("elsewhere", parseResult.GetValue<DirectoryInfo>("--dir")!.Name);
    }

    [Fact]
    public async Task IPv6AnyListensOnIPv4Too()
    {
        using var server = new HftpServer(
            new ServerOptions { Address = IPAddress.IPv6Any, Port = 0, Directory = _directory }, Serilog.Core.Logger.None);
        server.Start();

        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port));
        await client.SendAsync(Requests.GetFileListing);
        await client.ExpectAsync(Replies.Listing());
        using var client6 = RawClient.Connect(new IPEndPoint(IPAddress.IPv6Loopback, server.LocalEndPoint.Port));
        await client6.SendAsync(Requests.GetFileListing);
        await client6.ExpectAsync(Replies.Listing());
    }
}
