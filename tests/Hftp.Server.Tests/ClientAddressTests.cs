using System.Net;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>
/// Logs name each client by the address and port it connects from. On Linux the server keeps no .NET Socket per
/// client: it reads them from the address accept4 wrote into the connection thread's reused socket object, and only
/// when a line needs them, so a line must never name the thread's previous client, or nobody.
/// </summary>
public sealed class ClientAddressTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Reply;
    private const int Turns = 12;

    [Fact]
    public async Task AnIPv6ClientIsNamedByItsAddressAndPort()
    {
        using var server = TestServer.Start(options => options with { Address = IPAddress.IPv6Loopback }, LogEventLevel.Information);
        string remote;
        using (var client = RawClient.Connect(new IPEndPoint(IPAddress.IPv6Loopback, server.Port)))
        {
            remote = client.Socket.LocalEndPoint!.ToString()!;
            await client.SendAsync(Requests.GetFileListing + Requests.Quit);
            await client.ExpectAsync(Replies.Listing() + StatusCode.Ok.StatusLineText());
            await client.ExpectClosedAsync(Bound);
        }

        Assert.StartsWith("[::1]:", remote, StringComparison.Ordinal);
        Assert.True(await Eventually.HoldsAsync(() => server.Log.ContainsText(LogEventLevel.Information, $"Closed {remote} ("), Bound), Lines(server));
        Assert.True(server.Log.ContainsText(LogEventLevel.Information, $"Connected by {remote}"), Lines(server));
    }

    [Fact]
    public async Task ClientsServedInTurnByReusedThreadsAreEachNamedByTheirOwnPort()
    {
        // One spare, one kept idle: after the first few, every client is served by
        // a thread an earlier client left.
        using var server = TestServer.Start(
            options => options with { MinSpareThreads = 1, MaxSpareThreads = 1 }, LogEventLevel.Information);
        var remotes = new List<string>();
        for (var turn = 0; turn < Turns; turn++)
        {
            string remote;
            using (var client = server.Connect())
            {
                remote = client.Socket.LocalEndPoint!.ToString()!;
                await client.SendAsync(Requests.GetFileListing + Requests.Quit);
                await client.ExpectAsync(Replies.Listing() + StatusCode.Ok.StatusLineText());
                await client.ExpectClosedAsync(Bound);
            }

            remotes.Add(remote);
            Assert.True(await Eventually.HoldsAsync(() => server.Log.ContainsText(LogEventLevel.Information, $"Closed {remote} ("), Bound), Lines(server));

            // Back among the idle ones: the next client gets a thread that served before.
            Assert.True(await Eventually.HoldsAsync(() => server.Server.ThreadsAlive == server.Server.ThreadsIdle, Bound));
        }

        Assert.InRange(server.Server.ThreadsStarted, 1, 4);
        Assert.Equal(Turns, remotes.Distinct().Count());
        foreach (var remote in remotes)
        {
            Assert.Single(server.Log.Events, e => CapturedLog.Text(e) == $"Connected by {remote}");
        }
    }

    [Fact]
    public async Task AClientShedByTheIdleTimeoutIsNamedInTheWarning()
    {
        using var server = TestServer.Start(options => options with { IdleTimeout = TimeSpan.FromMilliseconds(200) }, LogEventLevel.Warning);
        using var client = server.Connect();
        var remote = client.Socket.LocalEndPoint!.ToString()!;

        await client.ExpectClosedAsync(TestTimeouts.Condition);

        Assert.True(await Eventually.HoldsAsync(() => server.Log.ContainsText(LogEventLevel.Warning, $"{remote} sent no request"), Bound), Lines(server));
    }

    private static string Lines(TestServer server) => string.Join('\n', server.Log.Events.Select(CapturedLog.Text));
}
