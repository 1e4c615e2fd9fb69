using System.Net;
using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class LocalEndPointTests
{
    // ShutdownTests polls the server's end point while Stop runs; reading it must not race the listener's disposal.
    [Fact]
    public async Task LocalEndPointStaysReadableAfterStopAndNamesThePortThatServed()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "x");
        var endPoint = server.Server.LocalEndPoint;
        Assert.NotEqual(0, endPoint.Port);
        using (var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, endPoint.Port)))
        {
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(1));
        }

        server.Server.Stop();

        // Still the same end point, readable without the listener, and nothing listens there any more.
        Assert.Equal(endPoint, server.Server.LocalEndPoint);
        var refused = Assert.Throws<SocketException>(() => RawClient.Connect(new IPEndPoint(IPAddress.Loopback, endPoint.Port)).Dispose());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}
