using System.Globalization;
using System.Security.Cryptography;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// Every command through a real SOCKS5 proxy (microsocks, on loopback), as a student's client goes through Tor:
/// <c>socks5h://</c> sends the server's name for the proxy to resolve, <c>socks5://</c> an address resolved here.
/// </summary>
public sealed class MicrosocksTests : IDisposable
{
    private const string FileName = "four.bin";
    private readonly TestServer _server = TestServer.Start();
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-proxy-downloads-").FullName;
    private readonly byte[] _content = RandomNumberGenerator.GetBytes(4 << 20);

    public MicrosocksTests()
    {
        _server.WriteFile(FileName, _content);
    }

    private string ServerPort => _server.Port.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_downloads, recursive: true);
    }

    [NeedsToolsFact("microsocks")]
    public async Task ListsThroughTheProxyWhichResolvesTheName()
    {
        using var proxy = await SocksServerProcess.StartMicrosocksAsync();

        var run = await HftpChildProcess.RunAsync("--proxy", $"socks5h://127.0.0.1:{proxy.Port}", "-H", "localhost", "-p", ServerPort, "ls");

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Equal($"{FileName}\n", run.Output);
        Assert.True(await Eventually.HoldsAsync(() => proxy.Output.Contains($"connected to localhost:{ServerPort}", StringComparison.Ordinal),
            TestTimeouts.Reply), $"the proxy did not resolve the name itself: {proxy.Output}");
    }

    [NeedsToolsFact("microsocks")]
    public async Task GetWithFourConnectionsIsByteExact()
    {
        using var proxy = await SocksServerProcess.StartMicrosocksAsync();
        var output = Path.Combine(_downloads, FileName);

        var run = await HftpChildProcess.RunAsync(
            "--proxy", $"socks5h://127.0.0.1:{proxy.Port}", "-H", "localhost", "-p", ServerPort, "get", FileName, "-j", "4", "-o", output);

        Assert.True(run.ExitCode == ExitCodes.Success, run.Error);
        Assert.Equal(_content, await File.ReadAllBytesAsync(output));
        Assert.True(await Eventually.HoldsAsync(() => ProxiedConnections(proxy) >= 5, TestTimeouts.Reply),
            $"expected the size query and 4 ranges through the proxy: {proxy.Output}");
    }

    [NeedsToolsFact("microsocks")]
    public async Task StatAndTheShellWorkThroughTheProxyWithAnAddressResolvedHere()
    {
        using var proxy = await SocksServerProcess.StartMicrosocksAsync();
        var url = $"socks5://127.0.0.1:{proxy.Port}";
        var saved = Path.Combine(_downloads, "from-shell.bin");

        var stat = await CliRun.InvokeAsync("--proxy", url, "-H", "localhost", "-p", ServerPort, "stat", FileName);
        var shell = await CliRun.InvokeWithInputAsync($"get {FileName} {saved}\nquit\n", "--proxy", url, "-H", "localhost", "-p", ServerPort, "shell");

        Assert.True(stat.ExitCode == ExitCodes.Success, stat.Error);
        Assert.Contains($"{_content.Length} bytes", stat.Output, StringComparison.Ordinal);
        Assert.True(shell.ExitCode == ExitCodes.Success, shell.Error);
        Assert.Equal(_content, await File.ReadAllBytesAsync(saved));
        Assert.DoesNotContain("connected to localhost", proxy.Output, StringComparison.Ordinal); // socks5:// sent 127.0.0.1
        Assert.True(await Eventually.HoldsAsync(() => ProxiedConnections(proxy) >= 3, TestTimeouts.Reply), proxy.Output);
    }

    [NeedsToolsFact("microsocks")]
    public async Task ThePasswordInTheUrlLogsInAndAWrongOneIsOneClearLine()
    {
        using var proxy = await SocksServerProcess.StartMicrosocksAsync("student", "s3cret");
        string[] target = ["-H", "localhost", "-p", ServerPort, "ls"];

        var right = await CliRun.InvokeAsync(["--proxy", $"socks5h://student:s3cret@127.0.0.1:{proxy.Port}", .. target]);
        var wrong = await CliRun.InvokeAsync(["--proxy", $"socks5h://student:guess@127.0.0.1:{proxy.Port}", .. target]);
        var none = await CliRun.InvokeAsync(["--proxy", $"socks5h://127.0.0.1:{proxy.Port}", .. target]);

        Assert.True(right.ExitCode == ExitCodes.Success, right.Error);
        Assert.Equal($"{FileName}\n", right.Output);
        Assert.Equal(ExitCodes.NetworkError, wrong.ExitCode);
        Assert.Matches($@"^hftp: The proxy 127\.0\.0\.1:{proxy.Port} refused the username and password \(RFC 1929 status [1-9]\d*\)\n$", wrong.Error);
        Assert.Equal(ExitCodes.NetworkError, none.ExitCode);
        Assert.Equal($"hftp: The proxy 127.0.0.1:{proxy.Port} requires authentication: put the username and password in the proxy URL "
            + "(socks5h://USER:PASSWORD@HOST:PORT)\n", none.Error);
    }

    [Fact]
    public async Task AllProxyFromTheEnvironmentIsUsedUnlessNoProxyNamesTheHost()
    {
        var deadPort = FreePort.OnLoopback();
        var deadProxy = $"socks5h://127.0.0.1:{deadPort}";
        string[] list = ["-H", "localhost", "-p", ServerPort, "ls"];

        var deadOne = await HftpChildProcess.RunAsync(new Dictionary<string, string> { ["all_proxy"] = deadProxy }, null, list);
        var bypassed = await HftpChildProcess.RunAsync(new Dictionary<string, string> { ["ALL_PROXY"] = deadProxy, ["NO_PROXY"] = "example.com,localhost" }, null, list);

        Assert.Equal(ExitCodes.NetworkError, deadOne.ExitCode);
        Assert.StartsWith($"hftp: Cannot connect to the proxy 127.0.0.1:{deadPort}: Connection refused", deadOne.Error, StringComparison.Ordinal);
        Assert.True(bypassed.ExitCode == ExitCodes.Success, bypassed.Error);
    }

    [NeedsToolsFact("microsocks")]
    public async Task AConnectionThatTheProxyDropsMidSliceIsRetriedThroughTheProxy()
    {
        using var proxy = await SocksServerProcess.StartMicrosocksAsync();
        using var relay = new TcpRelay(proxy.Port, budget: 1 << 20); // in front of the proxy: holds replies after 1 MiB
        var output = Path.Combine(_downloads, FileName);

        var run = CliRun.InvokeAsync(
            "--proxy", $"socks5h://127.0.0.1:{relay.Port}", "-H", "localhost", "-p", ServerPort, "get", FileName, "--retries", "3", "-o", output);
        Assert.True(await Eventually.HoldsAsync(() => relay.Forwarded >= relay.Budget || relay.BudgetGranted || run.IsCompleted, TestTimeouts.Condition),
            "the download never reached the relay's budget");
        if (run.IsCompleted)
        {
            Assert.Fail($"the download ended before the proxy dropped it: {(await run).Error}");
        }

        relay.DropConnections();
        relay.Release();
        var result = await run;

        Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
        Assert.Contains("retry 1 of 3", result.Error, StringComparison.Ordinal);
        Assert.Equal(_content, await File.ReadAllBytesAsync(output));
        Assert.True(await Eventually.HoldsAsync(() => ProxiedConnections(proxy) >= 3, TestTimeouts.Reply),
            $"expected the size query, the first slice and its retry through the proxy: {proxy.Output}");
    }

    private static int ProxiedConnections(SocksServerProcess proxy) =>
        proxy.Output.Split('\n').Count(line => line.Contains("connected to", StringComparison.Ordinal));
}
