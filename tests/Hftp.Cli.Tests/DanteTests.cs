using System.Globalization;
using System.Security.Cryptography;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// Through Dante's danted, a SOCKS5 server with rules: it lets loopback clients reach the test server's port only,
/// so any other destination is refused by rule, and the client must say so in one line.
/// </summary>
public sealed class DanteTests : IDisposable
{
    private const string FileName = "three.bin";
    private readonly TestServer _server = TestServer.Start();
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-dante-downloads-").FullName;
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(3 << 20);

    public DanteTests()
    {
        _server.WriteFile(FileName, _content);
    }

    private string ServerPort => _server.Port.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_downloads, recursive: true);
    }

    [NeedsToolsFact("danted")]
    public async Task GetWithFourConnectionsIsByteExactAndListingWorks()
    {
        using var proxy = await SocksServerProcess.StartDanteAsync(_server.Port);
        var url = $"socks5h://127.0.0.1:{proxy.Port}";
        var output = Path.Combine(_downloads, FileName);

        var get = await HftpChildProcess.RunAsync("--proxy", url, "-H", "localhost", "-p", ServerPort, "get", FileName, "-j", "4", "-o", output);
        var list = await CliRun.InvokeAsync("--proxy", url, "-H", "127.0.0.1", "-p", ServerPort, "ls");

        Assert.True(get.ExitCode == ExitCodes.Success, get.Error);
        Assert.Equal(_content, await File.ReadAllBytesAsync(output));
        Assert.True(list.ExitCode == ExitCodes.Success, list.Error);
        Assert.Equal($"{FileName}\n", list.Output);
    }

    [NeedsToolsFact("danted")]
    public async Task ADestinationItsRulesBlockIsOneClearLine()
    {
        using var proxy = await SocksServerProcess.StartDanteAsync(_server.Port);
        var otherPort = FreePort.OnLoopback().ToString(CultureInfo.InvariantCulture);

        var run = await CliRun.InvokeAsync("--proxy", $"socks5h://127.0.0.1:{proxy.Port}", "-H", "127.0.0.1", "-p", otherPort, "ls");

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.Equal($"hftp: The proxy could not reach 127.0.0.1:{otherPort}: connection not allowed by the proxy's rules (SOCKS reply 2)\n", run.Error);
    }
}
