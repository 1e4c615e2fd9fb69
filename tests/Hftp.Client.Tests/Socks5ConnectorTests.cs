using System.Diagnostics;
using Hftp.Client;
using Hftp.Testing;

namespace Hftp.Client.Tests;

/// <summary>
/// The client's side of SOCKS5 against a scripted proxy: every reply code becomes a sentence, a silent proxy is
/// bounded by the connect timeout, and a proxy's answer is read exactly, so the server's first byte is the server's.
/// </summary>
public sealed class Socks5ConnectorTests
{
    [Theory]
    [InlineData(1, "general SOCKS server failure (SOCKS reply 1)")]
    [InlineData(2, "connection not allowed by the proxy's rules (SOCKS reply 2)")]
    [InlineData(3, "network unreachable (SOCKS reply 3)")]
    [InlineData(4, "host unreachable (SOCKS reply 4)")]
    [InlineData(5, "connection refused (SOCKS reply 5)")]
    [InlineData(6, "TTL expired (SOCKS reply 6)")]
    [InlineData(7, "command not supported (SOCKS reply 7)")]
    [InlineData(8, "address type not supported (SOCKS reply 8)")]
    [InlineData(9, "unknown reply code (SOCKS reply 9)")]
    [InlineData(0xF0, "onion service descriptor not found (the service is offline or the address is wrong) (SOCKS reply 0xF0)")]
    [InlineData(0xF4, "the onion service requires client authorization (SOCKS reply 0xF4)")]
    [InlineData(0xF6, "not a valid onion address (SOCKS reply 0xF6)")]
    public async Task EveryReplyCodeIsASentence(byte reply, string reason)
    {
        await using var proxy = ScriptedSocksProxy.Replying(reply);

        var failure = await Assert.ThrowsAsync<HftpConnectionException>(() => ConnectAsync(proxy, "socks5h", "xyz.onion"));

        Assert.Equal($"The proxy could not reach xyz.onion:19500: {reason}", failure.Message);
        Assert.Equal(["xyz.onion:19500"], proxy.Destinations);
    }

    [Fact]
    public async Task Socks5ResolvesTheNameHereAndSendsTheAddress()
    {
        await using var proxy = ScriptedSocksProxy.Replying(5);

        await Assert.ThrowsAsync<HftpConnectionException>(() => ConnectAsync(proxy, "socks5", "localhost"));

        Assert.Equal(["127.0.0.1:19500"], proxy.Destinations);
    }

    [Fact]
    public async Task ASilentProxyIsBoundedByTheConnectTimeout()
    {
        await using var proxy = ScriptedSocksProxy.Silent();
        var started = Stopwatch.GetTimestamp();

        var failure = await Assert.ThrowsAsync<HftpConnectionException>(
            () => ConnectAsync(proxy, "socks5h", "xyz.onion", TimeSpan.FromMilliseconds(300)));

        Assert.Equal($"The proxy 127.0.0.1:{proxy.Port} did not complete the SOCKS5 handshake for xyz.onion:19500: "
            + "no answer within 0.3 s (the connect timeout)", failure.Message);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(300), TestTimeouts.Reply);
    }

    [Fact]
    public async Task CancellingIsNotReportedAsATimeout()
    {
        await using var proxy = ScriptedSocksProxy.Silent();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => HftpClient.ConnectAsync(
            "xyz.onion", 19500, new HftpClientOptions { Proxy = ProxySettings.Parse($"socks5h://127.0.0.1:{proxy.Port}") }, cancel.Token));
    }

    [Theory]
    [InlineData("socks5h://127.0.0.1:{0}", 0xFF, "The proxy 127.0.0.1:{0} requires authentication: put the username and password in the proxy URL (socks5h://USER:PASSWORD@HOST:PORT)")]
    [InlineData("socks5h://u:p@127.0.0.1:{0}", 0xFF, "The proxy 127.0.0.1:{0} accepts neither username/password nor no authentication (SOCKS5 method 255)")]
    [InlineData("socks5h://127.0.0.1:{0}", 0x02, "The proxy 127.0.0.1:{0} chose an authentication method this client did not offer (SOCKS5 method 2)")]
    public async Task AnAuthenticationMethodItCannotUseIsASentence(string url, byte method, string message)
    {
        await using var proxy = ScriptedSocksProxy.ChoosingMethod(method);

        var failure = await Assert.ThrowsAsync<HftpConnectionException>(() => HftpClient.ConnectAsync(
            "xyz.onion", 19500, new HftpClientOptions { Proxy = ProxySettings.Parse(url.Replace("{0}", $"{proxy.Port}", StringComparison.Ordinal)) }));

        Assert.Equal(message.Replace("{0}", $"{proxy.Port}", StringComparison.Ordinal), failure.Message);
    }

    [Fact]
    public async Task AnUnreachableProxyIsNamed()
    {
        var port = FreePort.OnLoopback();

        var failure = await Assert.ThrowsAsync<HftpConnectionException>(() => HftpClient.ConnectAsync(
            "xyz.onion", 19500, new HftpClientOptions { Proxy = ProxySettings.Parse($"socks5h://127.0.0.1:{port}") }));

        Assert.Equal($"Cannot connect to the proxy 127.0.0.1:{port}: Connection refused", failure.Message);
    }

    [Fact]
    public async Task TheServerSpeaksRightAfterTheProxysAnswer()
    {
        using var server = TestServer.Start();
        server.WriteFile("a.txt", "abc"u8.ToArray());
        await using var proxy = ScriptedSocksProxy.RelayingTo(server.Port, boundByName: true); // an answer of variable length

        await using var client = await ConnectAsync(proxy, "socks5h", "xyz.onion");

        Assert.Equal(["a.txt"], await client.ListFilesAsync());
        Assert.Equal(3, await client.GetSizeAsync("a.txt"));
    }

    private static Task<HftpClient> ConnectAsync(ScriptedSocksProxy proxy, string scheme, string host, TimeSpan? timeout = null) =>
        HftpClient.ConnectAsync(host, 19500, new HftpClientOptions
        {
            Proxy = ProxySettings.Parse($"{scheme}://127.0.0.1:{proxy.Port}"),
            ConnectTimeout = timeout ?? TestTimeouts.Reply,
        });
}
