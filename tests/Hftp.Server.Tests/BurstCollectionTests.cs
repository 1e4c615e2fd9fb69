using Hftp.Protocol;
using Hftp.Testing;
using Microsoft.Extensions.Time.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public sealed class BurstCollectionTests
{
    private const string GaveBack = "Gave memory back after a burst";
    private static readonly TimeSpan Bound = TestTimeouts.Reply;

    [Fact]
    public async Task MemoryIsGivenBackOnceWhenABurstIsOverAndNeverWithoutOne()
    {
        var time = new FakeTimeProvider();
        using var server = TestServer.Start(options => options with { MinSpareThreads = 1, MaxSpareThreads = 4 }, time: time);
        server.WriteFile("f", "x");

        // As many connections as the pool keeps threads for is no burst: they come and go, nothing is collected.
        await ServeAndCloseAsync(server, time, connections: 4);
        Assert.False(server.Log.Contains(LogEventLevel.Information, GaveBack));

        // One more than that is; nothing happens while it lasts, one collection once it is over, none after.
        var clients = await ConnectServedAsync(server, connections: 5);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(server.Log.Contains(LogEventLevel.Information, GaveBack));
        clients.ForEach(client => client.Dispose());
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(server.Log.Contains(LogEventLevel.Information, GaveBack + " of 5 connections"));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, Collections(server));

        // A burst that comes and goes between two heartbeats counts as well.
        (await ConnectServedAsync(server, connections: 5)).ForEach(client => client.Dispose());
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Collections(server));
    }

    [Theory]
    [InlineData(8, 4)] // more spare threads wanted than kept: the pool keeps up to 9, and so does the burst's measure
    [InlineData(4, 0)]
    public async Task ConnectionsBetweenTheTwoSpareCountsAreNoBurstWhateverTheirOrder(int minSpare, int maxSpare)
    {
        var time = new FakeTimeProvider();
        using var server = TestServer.Start(options => options with { MinSpareThreads = minSpare, MaxSpareThreads = maxSpare }, time: time);
        server.WriteFile("f", "x");

        var clients = await ConnectServedAsync(server, connections: Math.Max(minSpare, maxSpare));
        for (var second = 0; second < 10; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }

        clients.ForEach(client => client.Dispose());
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, Collections(server));
    }

    private static int Collections(TestServer server) =>
        server.Log.Events.Count(logEvent => CapturedLog.Text(logEvent).Contains(GaveBack, StringComparison.Ordinal));

    private static async Task ServeAndCloseAsync(TestServer server, FakeTimeProvider time, int connections)
    {
        var clients = await ConnectServedAsync(server, connections);
        time.Advance(TimeSpan.FromSeconds(1));
        clients.ForEach(client => client.Dispose());
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
        time.Advance(TimeSpan.FromSeconds(1));
    }

    // Each client served one reply, so the server holds every one of them as a live connection.
    private static async Task<List<RawClient>> ConnectServedAsync(TestServer server, int connections)
    {
        var clients = new List<RawClient>();
        for (var i = 0; i < connections; i++)
        {
            var client = server.Connect();
            clients.Add(client);
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(1));
        }

        return clients;
    }
}
