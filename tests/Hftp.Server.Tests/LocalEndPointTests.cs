using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class LocalEndPointTests
{
    // ShutdownTests polls the server's end point while Stop runs; reading it must not race the listener's disposal.
    [Fact]
    public void LocalEndPointStaysReadableAfterStop()
    {
        using var server = TestServer.Start();
        var port = server.Port;

        server.Server.Stop();

        Assert.Equal(port, server.Server.LocalEndPoint.Port);
    }
}
