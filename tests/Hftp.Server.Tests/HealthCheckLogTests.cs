using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>A load balancer's health check (connect, quit, leave) is logged at Debug; clients stay at Information.</summary>
public sealed class HealthCheckLogTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Reply;

    [Fact]
    public async Task AConnectionThatOnlySaysQuitIsLoggedAtDebug()
    {
        using var server = TestServer.Start();
        string remote;
        using (var check = server.Connect())
        {
            remote = check.Socket.LocalEndPoint!.ToString()!;
            await check.SendAsync(Requests.Quit);
            await check.ExpectAsync(StatusCode.Ok.StatusLineText());
            await check.ExpectClosedAsync(Bound);
        }

        Assert.True(await Eventually.HoldsAsync(() => HasClosedLine(server.Log, LogEventLevel.Debug, remote, "Quit"), Bound));
        Assert.True(server.Log.ContainsText(LogEventLevel.Debug, $"Connected by {remote}"));
        Assert.DoesNotContain(server.Log.Events, e => e.Level >= LogEventLevel.Information && CapturedLog.Text(e).Contains(remote, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACheckThatResetsAfterTheQuitReplyIsStillLoggedAtDebug()
    {
        // HAProxy ends its checks with a reset, not a close.
        using var server = TestServer.Start();
        var check = server.Connect();
        var remote = check.Socket.LocalEndPoint!.ToString()!;
        await check.SendAsync(Requests.Quit);
        await check.ExpectAsync(StatusCode.Ok.StatusLineText());
        check.Socket.LingerState = new System.Net.Sockets.LingerOption(enable: true, seconds: 0);
        check.Dispose();

        Assert.True(await Eventually.HoldsAsync(() => server.Log.Events.Any(e => CapturedLog.Text(e).StartsWith($"Closed {remote}", StringComparison.Ordinal)), Bound));
        Assert.DoesNotContain(server.Log.Events, e => e.Level >= LogEventLevel.Information && CapturedLog.Text(e).Contains(remote, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AClientThatAsksForSomethingIsLoggedAtInformation()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();
        var remote = client.Socket.LocalEndPoint!.ToString()!;

        await client.SendAsync(Requests.GetFileListing + Requests.Quit);

        await client.ExpectAsync(Replies.Listing() + StatusCode.Ok.StatusLineText());
        Assert.True(await Eventually.HoldsAsync(() => HasClosedLine(server.Log, LogEventLevel.Information, remote, "Quit"), Bound));
        Assert.True(server.Log.ContainsText(LogEventLevel.Information, $"Connected by {remote}"));
    }

    [Fact]
    public async Task AClientThatSaysNothingIsStillLoggedAtInformationWhileItWaits()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();
        var remote = client.Socket.LocalEndPoint!.ToString()!;

        Assert.True(await Eventually.HoldsAsync(() => server.Log.ContainsText(LogEventLevel.Information, $"Connected by {remote}"), Bound));
    }

    private static bool HasClosedLine(CapturedLog log, LogEventLevel level, string remote, string reason) =>
        log.Events.Any(e => e.Level == level
            && CapturedLog.Text(e).StartsWith($"Closed {remote} (", StringComparison.Ordinal)
            && e.Properties["Reason"].ToString().Trim('"') == reason);
}
