using System.Net;
using System.Net.Sockets;
using Hftp.Testing;

namespace Hftp.Benchmark.Tests;

/// <summary>
/// The idle load starts its fresh client only once the server has accepted every held connection: a connect returns
/// when the kernel completes the handshake, and a probe started while hundreds still wait to be accepted measured the
/// opening (hftp-benchmark saw a 139 ms maximum where an independent probe over the same seconds saw 3.8 ms).
/// </summary>
public sealed class AcceptQueueTests
{
    [Fact]
    public async Task CountsConnectionsTheServerHasNotAcceptedYet()
    {
        if (!File.Exists("/proc/net/tcp"))
        {
            return; // Not Linux: the idle load then starts its probe at once, as before.
        }

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 16);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var clients = new List<Socket>();
        try
        {
            Assert.Equal(0, AcceptQueue.Length(port));
            for (var index = 0; index < 3; index++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(IPAddress.Loopback, port);
            }

            Assert.True(await Eventually.HoldsAsync(() => AcceptQueue.Length(port) == 3, TestTimeouts.Condition), $"queued: {AcceptQueue.Length(port)}");
            Assert.False(AcceptQueue.WaitUntilEmpty(port, TimeSpan.FromMilliseconds(50)));

            for (var index = 0; index < 3; index++)
            {
                using var accepted = await listener.AcceptSocketAsync();
            }

            Assert.True(AcceptQueue.WaitUntilEmpty(port, TestTimeouts.Condition));
            Assert.Equal(0, AcceptQueue.Length(port));
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
            listener.Stop();
        }
    }

    [Fact]
    public void APortNobodyListensOnIsUnknown()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        Assert.Null(AcceptQueue.Length(port));
    }
}
