using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>Connection threads are reused: a thread that finished its connection is handed a later one.</summary>
public sealed class ThreadReuseTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    // The accept loop takes a thread before it waits for the next client, so that client never waits for one.
    private const int AcceptLoopsThread = 1;

    private static readonly TimeSpan BurstInterval = TimeSpan.FromMilliseconds(100);

    [Fact]
    public async Task SequentialConnectionsAreServedOnReusedThreads()
    {
        const int connectionCount = 200;
        using var server = TestServer.Start();
        server.WriteFile("f", "0123456789");
        for (var index = 0; index < connectionCount; index++)
        {
            using (var client = server.Connect())
            {
                await client.SendAsync("get_metadata f\r\nquit\r\n");
                await client.ExpectAsync("0 OK\r\n10\r\n0 OK\r\n");
                await client.ExpectClosedAsync();
            }

            // The connection ends once the server sees the client close too.
            Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
        }

        // One connection at a time: the threads started ahead of demand suffice, however many connections came.
        Assert.InRange(server.Server.ConnectionThreadsStarted, 1, 2 * ServerOptions.DefaultSpareThreads);
    }

    [Fact]
    public async Task SpareThreadsAreStartedAheadOfDemandAndLogged()
    {
        using var server = TestServer.Start(options => options with { SpareThreads = 5 });

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionThreadsAlive == 5 + AcceptLoopsThread, Bound));
        Assert.True(server.Log.Contains(LogEventLevel.Information, "Connection threads: 5 started ahead of demand, up to 256 kept idle"));

        // A client takes a spare, and another is started in its place.
        using var client = server.Connect();
        await client.SendAsync("get_file_listing\r\n");
        await client.ExpectAsync("0 OK\r\n\r\n");
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionThreadsAlive == 6 + AcceptLoopsThread, Bound));
    }

    [Fact]
    public async Task ThreadsBeyondTheSpareMaximumEndSoonAfterTheirConnections()
    {
        using var server = TestServer.Start(options => options with { SpareThreads = 0, MaxSpareThreads = 3 });
        await ServeAtOnceAsync(server, 20);

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionThreadsAlive == 3 + AcceptLoopsThread, Bound));
    }

    [Fact]
    public async Task ABurstRightAfterABurstReusesItsThreads()
    {
        const int clientCount = 20;
        // One surplus thread ended a second: the second burst comes long before most of the first's could end.
        using var server = TestServer.Start(options => options with { SpareThreads = 0, MaxSpareThreads = 2, ThreadEndRate = 1 });
        await ServeAtOnceAsync(server, clientCount);
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
        var startedBefore = server.Server.ConnectionThreadsStarted;

        await ServeAtOnceAsync(server, clientCount);

        // Ending the 18 past the maximum at once (as before) left the second burst to start 17 or more threads.
        var started = server.Server.ConnectionThreadsStarted - startedBefore;
        Assert.True(started <= 8, $"the second burst started {started} threads");
    }

    [Fact]
    public async Task BurstsEveryTenthOfASecondReuseTheSurplusThreadsAtTheDefaultEndRate()
    {
        const int clientCount = 20;
        const int bursts = 10;
        // Spare threads kept low, so most threads of each burst come back as surplus; the default end rate (1,000 a
        // second) would end them all within milliseconds of each burst.
        using var server = TestServer.Start(options => options with { SpareThreads = 0, MaxSpareThreads = 2 }, LogEventLevel.Warning);
        await ServeAtOnceAsync(server, clientCount);
        var startedBefore = server.Server.ConnectionThreadsStarted;

        for (var burst = 0; burst < bursts; burst++)
        {
            await ServeAtOnceAsync(server, clientCount);

            // The load's pace, not a wait for something: a burst every 100 ms or so, time enough at the default rate
            // to end the surplus of the one before many times over, and a tenth of the second a surplus thread must
            // go unused before it may end.
            await Task.Delay(BurstInterval);
        }

        // Surplus threads taken again within the last second are not ended. Ended at the rate as soon as they came
        // back, as before, each burst started most of its threads anew: 175 to 187 in all.
        var started = server.Server.ConnectionThreadsStarted - startedBefore;
        Assert.True(started <= clientCount, $"{bursts} bursts of {clientCount} after the first started {started} threads");
    }

    [Fact]
    public async Task SurplusThreadsEndNoFasterThanTheEndRate()
    {
        const int endRate = 10;
        using var server = TestServer.Start(options => options with { SpareThreads = 0, MaxSpareThreads = 2, ThreadEndRate = endRate });
        await ServeAtOnceAsync(server, 30);

        // Every thread back from its connection (a connection ends a moment before its thread is idle or surplus).
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionThreadCounts.Busy <= AcceptLoopsThread, Bound));
        var surplusBefore = server.Server.ConnectionThreadCounts.Surplus;
        var started = System.Diagnostics.Stopwatch.StartNew();

        Assert.True(
            await Eventually.HoldsAsync(() => server.Server.ConnectionThreadCounts.Surplus == 0, Bound),
            $"{server.Server.ConnectionThreadCounts.Surplus} surplus threads left");

        // At most one batch ahead of the rate (one per 10 ms at 10 a second); ended all at once before, in milliseconds.
        var ended = surplusBefore - 1;
        Assert.True(ended >= 20, $"only {surplusBefore} surplus threads to end");
        Assert.True(
            started.Elapsed.TotalSeconds >= 0.8 * ended / endRate,
            $"{surplusBefore} surplus threads ended in {started.Elapsed.TotalSeconds:0.00} s, at {endRate} a second");
    }

    [Fact]
    public async Task StopEndsSurplusThreadsToo()
    {
        using var server = TestServer.Start(options => options with { SpareThreads = 0, MaxSpareThreads = 2, ThreadEndRate = 1 });
        await ServeAtOnceAsync(server, 20);
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
        Assert.True(server.Server.ConnectionThreadsAlive > 2 + AcceptLoopsThread, $"{server.Server.ConnectionThreadsAlive} threads alive");

        server.Server.Stop();

        Assert.Equal(0, server.Server.ConnectionThreadsAlive);
    }

    [Fact]
    public async Task IdleThreadsBeyondTheSparesEndAfterTheIdleTime()
    {
        using var server = TestServer.Start(options => options with
        {
            SpareThreads = 2,
            MaxSpareThreads = 100,
            SpareThreadIdleTime = TimeSpan.FromMilliseconds(300),
        });
        await ServeAtOnceAsync(server, 20);

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionThreadsAlive == 2 + AcceptLoopsThread, Bound));
    }

    [Fact]
    public async Task ABurstThatTakesEverySpareKeepsMoreAhead()
    {
        const int clientCount = 10;
        // One spare, so the first client takes the last idle thread whatever the timing: with more, a spare maker
        // that refills them before the clients drain them sees no burst.
        using var server = TestServer.Start(options => options with { SpareThreads = 1, MaxSpareThreads = 24 });
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionThreadsAlive == 1 + AcceptLoopsThread, Bound));

        var clients = Enumerable.Range(0, clientCount).Select(_ => server.Connect()).ToList();
        try
        {
            await Task.WhenAll(clients.Select(async client =>
            {
                await client.SendAsync("get_file_listing\r\n");
                await client.ExpectAsync("0 OK\r\n\r\n");
            }));

            // The first client used up the spare: while the ten are held, the spare maker keeps 23 idle threads ahead
            // (the maximum less the spare count, room for threads coming back from their connections).
            Assert.True(
                await Eventually.HoldsAsync(() => server.Server.ConnectionThreadsAlive == clientCount + 23 + AcceptLoopsThread, Bound),
                $"{server.Server.ConnectionThreadsAlive} connection threads alive");
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    [Fact]
    public async Task StopEndsIdleThreadsToo()
    {
        using var server = TestServer.Start(options => options with { SpareThreads = 4 });
        await ServeAtOnceAsync(server, 10);
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
        Assert.True(server.Server.ConnectionThreadsAlive >= 4);

        server.Server.Stop();

        Assert.Equal(0, server.Server.ConnectionThreadsAlive);
    }

    [Fact]
    public void StopWhileSparesAreBeingMadeLeavesNoThreadAlive()
    {
        // Right after the start the spare maker is starting threads one after another: a stop then met it between
        // deciding to make one and starting it, and that thread was still counted alive after Stop returned.
        for (var round = 0; round < 50; round++)
        {
            using var server = TestServer.Start(options => options with { SpareThreads = 256 }, LogEventLevel.Warning);
            server.Server.Stop();
            Assert.Equal(0, server.Server.ConnectionThreadsAlive);
        }
    }

    // Holds the clients connected together, so each is served on a thread of its own, then closes them all.
    private static async Task ServeAtOnceAsync(TestServer server, int clientCount)
    {
        var clients = Enumerable.Range(0, clientCount).Select(_ => server.Connect()).ToList();
        try
        {
            await Task.WhenAll(clients.Select(async client =>
            {
                await client.SendAsync("get_file_listing\r\n");
                await client.ExpectAsync("0 OK\r\n\r\n");
            }));
            Assert.Equal(clientCount, server.Server.ActiveConnections);
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));
    }
}
