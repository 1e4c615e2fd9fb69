using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public sealed class ConnectionCapTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    [Fact]
    public async Task AtTheCapClientsWaitInTheBacklogAndAreServedInOrderAsOthersLeave()
    {
        const int cap = 100;
        const int clientCount = 150;
        using var server = TestServer.Start(options => options with { MaxConnections = cap });
        server.WriteFile("f", "0123456789");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var clients = new List<RawClient>();
        try
        {
            for (var index = 0; index < clientCount; index++)
            {
                var client = server.Connect();
                clients.Add(client);
                await client.SendAsync(Requests.GetMetadata("f"));
            }

            // The first ones in the queue are served; the rest wait, connected, with their request sent.
            await Task.WhenAll(clients.Take(cap).Select(client => client.ExpectAsync(Replies.Size(10), Bound)));
            Assert.Equal(cap, server.Server.ActiveConnections);
            Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Warning, "connection cap"), Bound));
            Assert.All(clients.Skip(cap), client => Assert.Equal(0, client.Socket.Available));

            // As the first leave, the waiting ones are accepted and answered; none is reset.
            await Task.WhenAll(clients.Take(cap).Select(async client =>
            {
                await client.SendAsync(Requests.Quit);
                await client.ExpectAsync(StatusCode.Ok.StatusLineText(), Bound);
                await client.ExpectClosedAsync(Bound);
            }));
            await Task.WhenAll(clients.Skip(cap).Select(async client =>
            {
                await client.ExpectAsync(Replies.Size(10), Bound);
                await client.SendAsync(Requests.GetSlice("f", 2, 3) + Requests.Quit);
                await client.ExpectAsync(Replies.Base64Slice("MjM0") + StatusCode.Ok.StatusLineText(), Bound);
                await client.ExpectClosedAsync(Bound);
            }));

            Assert.Equal(cap, server.Server.PeakConnections);
            // One warning per interval (10 s), not one per waiting client.
            var intervals = (int)(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds / 10);
            Assert.InRange(server.Log.Events.Count(e => e.Level == LogEventLevel.Warning), 1, 1 + intervals);
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    [Fact]
    public async Task TheCapIsLoggedAtStart()
    {
        using var server = TestServer.Start(options => options with { MaxConnections = 7 });

        Assert.Equal(7, server.Server.MaxConnections);
        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Information, "Max connections 7"), Bound));
    }

    [Fact]
    public async Task ACapAboveWhatTheLimitsAllowIsLoweredToThemWithAWarning()
    {
        using var server = TestServer.Start(options => options with { MaxConnections = int.MaxValue });

        Assert.InRange(server.Server.MaxConnections, 1, Limits.ConnectionLimit.Ceiling);
        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Warning, "more than the limits allow"), Bound));
    }

    [Fact]
    public async Task TheDefaultCapIsDerivedFromTheLimitsAndLogged()
    {
        using var server = TestServer.Start();

        Assert.InRange(server.Server.MaxConnections, 1, Limits.ConnectionLimit.Ceiling);
        var explained = OperatingSystem.IsLinux() ? "RLIMIT_NOFILE" : "fixed default";
        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Information, explained), Bound));
    }

    [Fact]
    public async Task ManyClientsConnectingWhileTheServerStopsNeverBreakStop()
    {
        // Stop may meet a connection registered a moment ago; it must neither throw nor hang.
        for (var round = 0; round < 5; round++)
        {
            var server = TestServer.Start();
            var endPoint = server.EndPoint;
            using var stop = new CancellationTokenSource();
            var connecting = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        using var client = RawClient.Connect(endPoint);
                        await Task.Yield();
                    }
                    catch (SocketException)
                    {
                        return;
                    }
                }
            });
            await Eventually.HoldsAsync(() => server.Server.PeakConnections > 0, Bound);

            server.Dispose();
            await stop.CancelAsync();
            await connecting.WaitAsync(Bound);
        }
    }
}
