using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// <c>torsocks hftp ...</c>, as students reach each other's onion services, with torsocks's configuration pointed at
/// a SOCKS5 server on loopback instead of Tor. torsocks refuses some sockets (a dual-mode IPv6 one, which the client
/// once made) and intercepts the resolver: a <c>.onion</c> name must reach the proxy by name.
/// </summary>
public sealed class TorsocksTests : IDisposable
{
    private const string FileName = "two.bin";
    private readonly TestServer _server = TestServer.Start();
    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-torsocks-").FullName;
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(2 << 20);

    public TorsocksTests()
    {
        _server.WriteFile(FileName, _content);
    }

    private string ServerPort => _server.Port.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    // torsocks lets loopback destinations bypass the proxy only with AllowOutboundLocalhost; a test server is one.
    [NeedsToolsFact("torsocks", "microsocks")]
    public async Task ListAndGetWorkUnderTorsocks()
    {
        using var proxy = await SocksServerProcess.StartMicrosocksAsync();
        var environment = TorsocksPointedAt(proxy.Port);
        var output = Path.Combine(_directory, FileName);

        var list = await HftpChildProcess.RunAsync(environment, ProxyTools.Require("torsocks"), "-H", "127.0.0.1", "-p", ServerPort, "ls");
        var get = await HftpChildProcess.RunAsync(
            environment, ProxyTools.Require("torsocks"), "-H", "localhost", "-p", ServerPort, "get", FileName, "-j", "2", "-o", output);

        Assert.True(list.ExitCode == ExitCodes.Success, list.Error);
        Assert.Equal($"{FileName}\n", list.Output);
        Assert.True(get.ExitCode == ExitCodes.Success, get.Error);
        Assert.Equal(_content, await File.ReadAllBytesAsync(output));
    }

    // The onion path end to end: torsocks maps the name to a placeholder address, then sends CONNECT with the name
    // through the proxy, which (like Tor) delivers it to the server.
    [NeedsToolsFact("torsocks")]
    public async Task AnOnionNameGoesThroughTheProxyByName()
    {
        await using var tor = ScriptedSocksProxy.RelayingTo(_server.Port);
        var output = Path.Combine(_directory, FileName);
        var onion = "hftpexampleexampleexampleexampleexampleexampleexampleid.onion";

        var get = await HftpChildProcess.RunAsync(
            TorsocksPointedAt(tor.Port), ProxyTools.Require("torsocks"), "-H", onion, "-p", "19500", "get", FileName, "-j", "2", "-o", output);

        Assert.True(get.ExitCode == ExitCodes.Success, get.Error);
        Assert.Equal(_content, await File.ReadAllBytesAsync(output));
        Assert.All(tor.Destinations, destination => Assert.Equal($"{onion}:19500", destination));
        Assert.InRange(tor.Destinations.Count, 2, 3); // the size, then one or two ranges
    }

    // torsocks does the SOCKS5 handshake inside connect(), blocking the thread that calls it until Tor answers (up to
    // Tor's own 2-minute SocksTimeout): --connect-timeout must still end the command, in one line.
    [NeedsToolsFact("torsocks")]
    public async Task ASilentTorEndsTheCommandAtTheConnectTimeout()
    {
        await using var tor = ScriptedSocksProxy.Silent();
        var onion = "hftpexampleexampleexampleexampleexampleexampleexampleid.onion";
        var started = Stopwatch.GetTimestamp();

        var run = await HftpChildProcess.RunAsync(
            TorsocksPointedAt(tor.Port), ProxyTools.Require("torsocks"), "-H", onion, "-p", "19500", "--connect-timeout", "0.5", "ls");

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        // Beside the line in which torsocks says its handshake was cut short, when the socket is closed in time.
        var line = Assert.Single(run.Error.Split('\n'), line => line.StartsWith("hftp:", StringComparison.Ordinal));
        Assert.Equal($"hftp: Cannot connect to {onion}:19500: timed out after 0.5 s", line);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(500), TestTimeouts.Reply);
    }

    [NeedsToolsFact("torsocks")]
    public async Task AnIPv6AddressUnderTorsocksIsOneLineSayingWhy()
    {
        var run = await HftpChildProcess.RunAsync(
            TorsocksPointedAt(FreePort.OnLoopback()), ProxyTools.Require("torsocks"), "-H", "::1", "-p", ServerPort, "ls");

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        var line = Assert.Single(run.Error.Split('\n'), line => line.StartsWith("hftp:", StringComparison.Ordinal));
        Assert.StartsWith($"hftp: Cannot connect to [::1]:{ServerPort}: cannot create an IPv6 socket: ", line, StringComparison.Ordinal);
        Assert.EndsWith("(torsocks allows IPv4 only: use an IPv4 address or a name)", line, StringComparison.Ordinal);
    }

    private Dictionary<string, string> TorsocksPointedAt(int port)
    {
        var config = Path.Combine(_directory, $"torsocks-{port}.conf");
        File.WriteAllText(config, $"TorAddress 127.0.0.1\nTorPort {port}\nAllowOutboundLocalhost 1\n");
        return new Dictionary<string, string> { ["TORSOCKS_CONF_FILE"] = config };
    }
}
