using System.Net;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>--proxy-protocol over real sockets: the header's client is the one logged, and a connection without one is closed.</summary>
public sealed class ProxyProtocolTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Reply;

    [Fact]
    public async Task AVersion1HeaderNamesTheClientInTheLogAndTheRequestAfterItIsServed()
    {
        using var server = TestServer.Start(options => options with { ProxyProtocol = true });
        server.WriteFile("f", "hello");
        using var client = server.Connect();
        var proxy = client.Socket.LocalEndPoint!.ToString();

        await client.SendAsync("PROXY TCP4 203.0.113.7 127.0.0.1 4242 19500\r\n" + Requests.GetMetadata("f") + Requests.Quit);

        await client.ExpectAsync(Replies.Size(5) + StatusCode.Ok.StatusLineText());
        Assert.True(await Eventually.HoldsAsync(() => HasClosedLine(server.Log, LogEventLevel.Information, "203.0.113.7:4242", "Quit"), Bound));
        Assert.True(server.Log.ContainsText(LogEventLevel.Information, $"Connected by 203.0.113.7:4242 through proxy {proxy}"));
    }

    [Fact]
    public async Task AVersion2HeaderSentAByteAtATimeIsReadWithoutTakingTheRequest()
    {
        using var server = TestServer.Start(options => options with { ProxyProtocol = true });
        using var client = server.Connect();
        byte[] header =
        [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x21, 0x00, 36,
            .. IPAddress.Parse("2001:db8::7").GetAddressBytes(), .. IPAddress.IPv6Loopback.GetAddressBytes(), 0x10, 0x92, 0x4C, 0x2C,
        ];

        foreach (var b in header)
        {
            await client.SendAsync(new[] { b });
        }

        await client.SendAsync(Requests.GetFileListing);
        await client.ExpectAsync(Replies.Listing());
        Assert.True(server.Log.ContainsText(LogEventLevel.Information, "Connected by [2001:db8::7]:4242 through proxy"));
    }

    [Fact]
    public async Task AConnectionWithoutAHeaderIsClosedWithoutAReplyAndAWarning()
    {
        using var server = TestServer.Start(options => options with { ProxyProtocol = true });
        using var client = server.Connect();
        var remote = client.Socket.LocalEndPoint!.ToString()!;

        await client.SendAsync(Requests.GetFileListing);

        await client.ExpectClosedAsync(Bound);
        Assert.True(await Eventually.HoldsAsync(() => HasClosedLine(server.Log, LogEventLevel.Information, remote, "BadProxyHeader"), Bound));
        Assert.True(server.Log.ContainsText(LogEventLevel.Warning, $"{remote} sent no PROXY protocol header"));
    }

    [Fact]
    public async Task WithoutTheOptionAHeaderIsJustABadCommand()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync("PROXY TCP4 203.0.113.7 127.0.0.1 4242 19500\r\n");

        await client.ExpectAsync(StatusCode.NoSuchCommand.StatusLineText());
    }

    private static bool HasClosedLine(CapturedLog log, LogEventLevel level, string remote, string reason) =>
        log.Events.Any(e => e.Level == level
            && CapturedLog.Text(e).StartsWith($"Closed {remote} (", StringComparison.Ordinal)
            && e.Properties["Reason"].ToString().Trim('"') == reason);
}
