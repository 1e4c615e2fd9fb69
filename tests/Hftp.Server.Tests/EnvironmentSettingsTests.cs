using System.CommandLine;
using System.Net;
using System.Text.Json;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>Every option may come from an HFTP_ environment variable; the command line wins; a bad value names its variable.</summary>
public sealed class EnvironmentSettingsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-env-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void EveryOptionNamesItsVariableInHelp()
    {
        var command = ServerCommand.Create(_ => null);
        var options = command.Options.Where(option => option.Name is not ("--help" or "--version")).ToList();

        Assert.True(options.Count >= 17);
        foreach (var option in options)
        {
            var variable = "HFTP_" + option.Name.TrimStart('-').Replace('-', '_').ToUpperInvariant();
            Assert.Contains($"[env: {variable}]", option.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void VariablesSetOptionsAndTheCommandLineWins()
    {
        var environment = new Dictionary<string, string>
        {
            ["HFTP_PORT"] = "1234",
            ["HFTP_DIR"] = "/srv/files",
            ["HFTP_IDLE_TIMEOUT"] = "off",
            ["HFTP_MAX_CONNECTIONS"] = "7",
            ["HFTP_PROXY_PROTOCOL"] = "yes",
            ["HFTP_METRICS"] = "127.0.0.1:9464",
            ["HFTP_LOG_FORMAT"] = "json",
            ["HFTP_LOG_FILE"] = "/var/log/hftp.log",
            ["HFTP_SEND_TIMEOUT"] = string.Empty,
        };
        var command = ServerCommand.Create(environment.GetValueOrDefault);

        var fromEnvironment = command.Parse([]);
        Assert.Empty(fromEnvironment.Errors);
        Assert.Equal(1234, fromEnvironment.GetValue<int>("--port"));
        Assert.Equal("/srv/files", fromEnvironment.GetValue<DirectoryInfo>("--dir")!.FullName);
        Assert.Equal(Timeout.InfiniteTimeSpan, fromEnvironment.GetValue<TimeSpan>("--idle-timeout"));
        Assert.Equal(new ServerOptions().SendTimeout, fromEnvironment.GetValue<TimeSpan>("--send-timeout"));
        Assert.Equal(7, fromEnvironment.GetValue<int?>("--max-connections"));
        Assert.True(fromEnvironment.GetValue<bool>("--proxy-protocol"));
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9464"), fromEnvironment.GetValue<IPEndPoint?>("--metrics"));
        Assert.Equal(LogFormat.Json, fromEnvironment.GetValue<LogFormat>("--log-format"));
        Assert.Equal("/var/log/hftp.log", fromEnvironment.GetValue<FileInfo?>("--log-file")!.FullName);

        var commandLine = command.Parse(["--port", "99", "-d", "/elsewhere", "--log-format", "text"]);
        Assert.Empty(commandLine.Errors);
        Assert.Equal(99, commandLine.GetValue<int>("--port"));
        Assert.Equal("/elsewhere", commandLine.GetValue<DirectoryInfo>("--dir")!.FullName);
        Assert.Equal(LogFormat.Text, commandLine.GetValue<LogFormat>("--log-format"));
    }

    // operating.md lists these spellings for HFTP_PROXY_PROTOCOL; the error for any other names them too.
    [Theory]
    [InlineData("true", true)]
    [InlineData("1", true)]
    [InlineData("Yes", true)]
    [InlineData("on", true)]
    [InlineData("FALSE", false)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    [InlineData("off", false)]
    public void ProxyProtocolVariableTakesEverySpellingTheDocumentsList(string value, bool expected)
    {
        var parsed = ServerCommand.Create(name => name == "HFTP_PROXY_PROTOCOL" ? value : null).Parse([]);

        Assert.Empty(parsed.Errors);
        Assert.Equal(expected, parsed.GetValue<bool>("--proxy-protocol"));
    }

    [Theory]
    [InlineData("HFTP_PORT", "http", "HFTP_PORT must be a whole number from 0 to 65535 (got 'http').")]
    [InlineData("HFTP_IDLE_TIMEOUT", "soon", "HFTP_IDLE_TIMEOUT must be a duration such as 300ms, 60s or 5m, or 'off' (got 'soon').")]
    [InlineData("HFTP_PROXY_PROTOCOL", "maybe", "HFTP_PROXY_PROTOCOL: 'maybe' is not one of true, false, 1, 0, yes, no, on, off.")]
    [InlineData("HFTP_LOG_FORMAT", "xml", "HFTP_LOG_FORMAT: 'xml' is not one of text, json.")]
    [InlineData("HFTP_ADDRESS", "nowhere", "HFTP_ADDRESS: 'nowhere' is not an IPv4 or IPv6 address")]
    public async Task ABadVariableIsAShortErrorNamingItAndExitCodeOne(string variable, string value, string expected)
    {
        using var error = new StringWriter();

        var exitCode = await ServerCommand.InvokeAsync([], error, name => name == variable ? value : null);

        Assert.Equal(ServerCommand.UsageError, exitCode);
        Assert.StartsWith("hftp-server: " + expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncodeAheadOffServesLargeSlicesOnTheConnectionsOwnThread()
    {
        var content = new byte[3 << 20]; // past the 1 MiB from which slices are encoded ahead
        Random.Shared.NextBytes(content);
        File.WriteAllBytes(Path.Combine(_directory, "big"), content);
        using var server = ServerProcess.Start(
            new Dictionary<string, string> { ["HFTP_ENCODE_AHEAD"] = "0" }, "--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        var port = await server.WaitForPortAsync(TestTimeouts.Process);

        Assert.Contains("; 0 slice encoder(s)", server.Output, StringComparison.Ordinal);
        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, port));
        await client.SendAsync(Requests.GetSlice("big", 0, content.Length));
        await client.ExpectAsync(Replies.Slice(content));
    }

    [Fact]
    public async Task ProcessConfiguredByVariablesAloneServesAndLogsJsonToItsFile()
    {
        File.WriteAllText(Path.Combine(_directory, "f"), "hello");
        var logFile = Path.Combine(_directory, "server.log");
        using var server = ServerProcess.Start(new Dictionary<string, string>
        {
            ["HFTP_PORT"] = "0",
            ["HFTP_ADDRESS"] = "127.0.0.1",
            ["HFTP_DIR"] = _directory,
            ["HFTP_LOG_FILE"] = logFile,
            ["HFTP_LOG_FORMAT"] = "json",
            ["HFTP_LOG_LEVEL"] = "Debug",
        });
        var port = await SignalTests.WaitForPortInFileAsync(server, logFile);

        using (var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, port)))
        {
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(5), TestTimeouts.Reply);
        }

        server.Terminate();
        Assert.True(server.WaitForExit(TestTimeouts.Process), "the server did not exit after SIGTERM");
        Assert.Equal(0, server.ExitCode);

        // One JSON object a line: a date, the message as the text form reads, and its properties by name.
        var events = SignalTests.Read(logFile).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.All(events, e => Assert.True(DateTimeOffset.TryParse(e.GetProperty("@t").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _)));
        var serving = Assert.Single(events, e => e.TryGetProperty("EndPoint", out _));
        Assert.Equal(_directory, serving.GetProperty("Directory").GetString());
        Assert.Equal($"127.0.0.1:{port}", serving.GetProperty("EndPoint").GetString());
        Assert.Contains(events, e => e.GetProperty("@m").GetString()!.Contains("get_metadata", StringComparison.Ordinal)
            && e.GetProperty("@l").GetString() == "Debug" && e.TryGetProperty("Remote", out _));
    }
}
