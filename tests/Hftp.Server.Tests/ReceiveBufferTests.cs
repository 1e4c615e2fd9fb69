using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// A connection holds a receive buffer only while it reads, or for a moment after a reply while its client may
/// ask again at once: clients that have gone quiet hold none, so idle connections cost no buffer each.
/// </summary>
public sealed class ReceiveBufferTests
{
    [Fact]
    public async Task ClientsThatWentQuietAfterTheirRepliesHoldNoReceiveBuffer()
    {
        const int clientCount = 20;
        using var server = TestServer.Start();
        server.WriteFile("f", "0123456789");
        var clients = new List<RawClient>();
        try
        {
            for (var index = 0; index < clientCount; index++)
            {
                var client = server.Connect();
                clients.Add(client);
                await client.SendAsync(Requests.GetMetadata("f"));
                await client.ExpectAsync(Replies.Size(10));
            }

            Assert.Equal(clientCount, server.Server.ActiveConnections);
            Assert.True(
                await Eventually.HoldsAsync(() => server.Server.ConnectionsHoldingReceiveBuffer == 0, TestTimeouts.Condition),
                $"{server.Server.ConnectionsHoldingReceiveBuffer} of {clientCount} quiet connections still hold a receive buffer");

            // Quiet, each still answers: it waits without the buffer and takes one when bytes arrive.
            foreach (var client in clients)
            {
                await client.SendAsync(Requests.GetMetadata("f"));
                await client.ExpectAsync(Replies.Size(10));
            }
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }
}
