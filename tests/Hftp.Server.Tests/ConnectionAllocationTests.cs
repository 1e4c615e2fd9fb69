using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>
/// Opening a connection allocates little on the accept loop beyond the socket: the reader, reply writer and executor
/// belong to the connection thread and are reused by each of its connections. With ten thousand threads alive every
/// collection stops them all, so a burst of new connections must not fill the heap.
/// </summary>
public sealed class ConnectionAllocationTests
{
    private const int WarmUpConnections = 20;
    private const int MeasuredConnections = 100;

    // The connection object (128 bytes measured); a writer, an executor and its file and listing objects per
    // connection made it 448.
    private const long AllowedBytesPerConnection = 256;

    [Fact]
    public async Task SettingUpAConnectionAllocatesLittleBeyondItsSocket()
    {
        using var server = TestServer.Start(minimumLevel: LogEventLevel.Information);
        server.WriteFile("f", "x");
        await ServeOneAfterAnother(server, WarmUpConnections);
        var before = server.Server.Metrics.ConnectionSetUpAllocations;

        await ServeOneAfterAnother(server, MeasuredConnections);
        var after = server.Server.Metrics.ConnectionSetUpAllocations;

        var connections = after.Connections - before.Connections;
        var perConnection = (double)(after.AllocatedBytes - before.AllocatedBytes) / connections;
        Assert.Equal(MeasuredConnections, connections);
        Assert.True(perConnection <= AllowedBytesPerConnection, $"setting up a connection allocated {perConnection:0} bytes");
    }

    private static async Task ServeOneAfterAnother(TestServer server, int connections)
    {
        for (var connection = 0; connection < connections; connection++)
        {
            using var client = server.Connect();
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(1));
            await client.SendAsync(Requests.Quit);
            await client.ExpectAsync(StatusCode.Ok.StatusLineText());
            await client.ExpectClosedAsync(TestTimeouts.Reply);
        }
    }
}
