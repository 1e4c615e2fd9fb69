using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>Connection threads are reused: a thread that finished its connection is handed a later one.</summary>
public sealed class ThreadReuseTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

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
}
