using System.Net;
using System.Net.Sockets;
using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class CommandLineTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(30);

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
            await client.SendAsync("get_metadata f.txt\r\nquit\r\n");
            await client.ExpectAsync("0 OK\r\n5\r\n0 OK\r\n");
        }

        using var idle = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, port));
        Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("Connected by", StringComparison.Ordinal), ProcessTimeout));
        server.Terminate();

        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(5)), "the server did not exit after SIGTERM");
        Assert.Equal(0, server.ExitCode);
        await idle.ExpectClosedAsync(TimeSpan.FromSeconds(1));
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
    [InlineData("--port", "70000", "--port must be between 0 and 65535 (got '70000').")]
    [InlineData("--port", "-1", "--port must be between 0 and 65535 (got '-1').")]
    [InlineData("--port", "http", "--port must be between 0 and 65535 (got 'http').")]
    [InlineData("--address", "not-an-ip", "'not-an-ip' is not an IPv4 or IPv6 address")]
    [InlineData("--log-level", "loud", "--log-level: 'loud' is not one of Verbose, Debug, Information, Warning, Error, Fatal.")]
    [InlineData("--max-request-line", "lots", "--max-request-line must be at least 64 bytes (got 'lots').")]
    [InlineData("--max-request-line", "10", "--max-request-line must be at least 64 bytes (got '10').")]
    [InlineData("--log-buffer", "0", "--log-buffer must be between 16 and 10000000 (got '0').")]
    public async Task BadOptionIsAShortErrorAndExitCodeOne(string option, string value, string expected)
    {
        using var error = new StringWriter();

        var exitCode = await ServerCommand.InvokeAsync([option, value], error);

        Assert.Equal(ServerCommand.UsageError, exitCode);
        var lines = error.ToString().TrimEnd().Split('\n');
        Assert.Equal(2, lines.Length);
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
        foreach (var option in new[] { "--port", "-p", "--dir", "-d", "--datadir", "--address", "-a", "--log-level", "--max-request-line", "--log-buffer", "--version" })
        {
            Assert.Contains(option, output.ToString(), StringComparison.Ordinal);
        }
    }

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
        Assert.Equal(10_000, parseResult.GetValue<int>("--log-buffer"));
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
        await client.SendAsync("get_file_listing\r\n");
        await client.ExpectAsync("0 OK\r\n\r\n");
        using var client6 = RawClient.Connect(new IPEndPoint(IPAddress.IPv6Loopback, server.LocalEndPoint.Port));
        await client6.SendAsync("get_file_listing\r\n");
        await client6.ExpectAsync("0 OK\r\n\r\n");
    }
}
