using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>
/// Opening a connection allocates nothing on the accept loop (on Linux): the connection object, its socket, reader,
/// reply writer and executor belong to the connection thread and are reused by each of its connections. With ten
/// thousand threads alive every collection stops them all, so a burst of new connections must not fill the heap.
/// </summary>
public sealed class ConnectionAllocationTests
{
    private const int WarmUpConnections = 20;
    private const int MeasuredConnections = 100;

    // Accepting into a .NET Socket and a new connection object made 448 bytes (320 and 128); elsewhere than on Linux
    // the server still accepts into a Socket.
    private static readonly long AllowedBytesPerConnection = OperatingSystem.IsLinux() ? 0 : 512;

    [Fact]
    public async Task AcceptingAConnectionAllocatesNothing()
    {
        using var server = TestServer.Start(minimumLevel: LogEventLevel.Information);
        server.WriteFile("f", "x");
        await ServeOneAfterAnother(server, WarmUpConnections);

        var perConnection = await AllocatedPerConnection(
            () => server.Server.Metrics.ConnectionSetUpAllocations, () => ServeOneAfterAnother(server, MeasuredConnections), MeasuredConnections);

        Assert.True(perConnection <= AllowedBytesPerConnection, $"accepting a connection allocated {perConnection:0} bytes");
    }

    // A connection served once (get_metadata, quit) and a slow client shed by the request timeout, each averaged over
    // many: before, 224 bytes per connection for the socket's async context (made by .NET on the first blocking
    // receive or send) and 376 more per shed client (a timed-out receive threw while draining it).
    private const long AllowedThreadBytesPerConnection = 32;

    // The shed logs one timeout warning per second (a log event, several hundred bytes) and counts the rest: a shed
    // that spans two seconds logs two, about 40 bytes per client of the 40. Still far below the 224 it was.
    private const long AllowedThreadBytesPerShedClient = 96;
    private const int SlowClients = 40;

    [Fact]
    public async Task ServingAConnectionAllocatesNothingOnItsThread()
    {
        using var server = TestServer.Start(minimumLevel: LogEventLevel.Warning);
        server.WriteFile("f", "x");
        await ServeOneAfterAnother(server, WarmUpConnections);

        var perConnection = await AllocatedPerConnection(
            () => server.Server.Metrics.ConnectionThreadAllocations, () => ServeOneAfterAnother(server, MeasuredConnections), MeasuredConnections);

        Assert.True(perConnection <= AllowedThreadBytesPerConnection, $"serving a connection allocated {perConnection:0} bytes on its thread");
    }

    [Fact]
    public async Task ASlowClientShedByTheRequestTimeoutAllocatesNothingOnItsThread()
    {
        using var server = TestServer.Start(
            options => options with { RequestTimeout = TimeSpan.FromMilliseconds(300) }, LogEventLevel.Warning);
        await ShedSlowClients(server, SlowClients);

        // One timeout warning per second is logged (and allocates); the rest are counted.
        var perConnection = await AllocatedPerConnection(
            () => server.Server.Metrics.ConnectionThreadAllocations, () => ShedSlowClients(server, SlowClients), SlowClients);

        Assert.True(perConnection <= AllowedThreadBytesPerShedClient, $"shedding a slow client allocated {perConnection:0} bytes on its thread");
    }

    [Fact]
    public async Task AThreadsFirstRequestForANameAnotherConnectionAskedForAllocatesNothing()
    {
        // Long, so that a string made per thread (222 bytes) shows well above the bound; spares enough that the
        // clients below are served on threads that never served before.
        var name = new string('n', 100);
        using var server = TestServer.Start(options => options with { SpareThreads = 64 }, LogEventLevel.Warning);
        server.WriteFile(name, "x");
        await ServeOneAfterAnother(server, WarmUpConnections, name);

        var perConnection = await AllocatedPerConnection(
            () => server.Server.Metrics.ConnectionThreadAllocations, () => ServeTogether(server, SlowClients, name), SlowClients);

        Assert.True(perConnection <= AllowedThreadBytesPerConnection, $"a thread's first request allocated {perConnection:0} bytes on it");
    }

    // Connected at once, so each is served on a thread of its own.
    private static async Task ServeTogether(TestServer server, int clients, string name)
    {
        var together = Enumerable.Range(0, clients).Select(_ => server.Connect()).ToList();
        try
        {
            await Task.WhenAll(together.Select(async client =>
            {
                await client.SendAsync(Requests.GetMetadata(name));
                await client.ExpectAsync(Replies.Size(1));
            }));
        }
        finally
        {
            together.ForEach(client => client.Dispose());
        }
    }

    // Each sends the first byte of a request and nothing more, and keeps its end open after the server's close.
    private static async Task ShedSlowClients(TestServer server, int clients)
    {
        var slow = new List<RawClient>();
        try
        {
            for (var index = 0; index < clients; index++)
            {
                var client = server.Connect();
                slow.Add(client);
                await client.SendAsync("g");
            }

            foreach (var client in slow)
            {
                await client.ExpectClosedAsync(TestTimeouts.Condition);
            }
        }
        finally
        {
            slow.ForEach(client => client.Dispose());
        }
    }

    // Bytes per connection the tally grew by while the load ran. A connection's thread adds to its tally once the
    // connection is over, a moment after the client saw it close: waited for, bounded.
    private static async Task<double> AllocatedPerConnection(
        Func<(long Connections, long AllocatedBytes)> tally, Func<Task> load, int connections)
    {
        var before = tally();
        await load();
        Assert.True(
            await Eventually.HoldsAsync(() => tally().Connections >= before.Connections + connections, TestTimeouts.Condition),
            $"{tally().Connections - before.Connections} of {connections} connections counted");
        var after = tally();
        return (double)(after.AllocatedBytes - before.AllocatedBytes) / (after.Connections - before.Connections);
    }

    private static async Task ServeOneAfterAnother(TestServer server, int connections, string name = "f")
    {
        for (var connection = 0; connection < connections; connection++)
        {
            using var client = server.Connect();
            await client.SendAsync(Requests.GetMetadata(name));
            await client.ExpectAsync(Replies.Size(1));
            await client.SendAsync(Requests.Quit);
            await client.ExpectAsync(StatusCode.Ok.StatusLineText());
            await client.ExpectClosedAsync(TestTimeouts.Reply);
        }
    }
}
