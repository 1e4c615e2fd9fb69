using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class QuitTests
{
    [Fact]
    public async Task QuitIsAnsweredThenTheConnectionClosesCleanly()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync("quit\r\n");

        await client.ExpectAsync("0 OK\r\n");
        await client.ExpectClosedAsync(TimeSpan.FromSeconds(0.5));
    }
}
