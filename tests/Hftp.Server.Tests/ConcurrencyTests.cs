using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task ManyClientsAtOnceAreEachServedWhileAFirstOneKeepsWorking()
    {
        using var server = TestServer.Start();
        server.WriteFile("shared.txt", "0123456789");
        using var first = server.Connect();
        await first.SendAsync("get_metadata shared.txt\r\n");
        await first.ExpectAsync("0 OK\r\n10\r\n");

        var others = Enumerable.Range(0, 32).Select(_ => server.Connect()).ToList();
        try
        {
            Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 33, TimeSpan.FromSeconds(10)));
            await Task.WhenAll(others.Select(async (client, index) =>
            {
                var offset = index % 10;
                await client.SendAsync($"get_slice shared.txt {offset} 1\r\n");
                await client.ExpectAsync($"0 OK\r\n{Convert.ToBase64String([(byte)('0' + offset)])}\r\n");
            }));

            // The first client, connected all along, is still served.
            await first.SendAsync("get_slice shared.txt 0 3\r\n");
            await first.ExpectAsync("0 OK\r\nMDEy\r\n");
        }
        finally
        {
            others.ForEach(client => client.Dispose());
        }
    }

    [Fact]
    public async Task SlowClientDoesNotHoldUpOthers()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "x");
        using var slow = server.Connect();
        await slow.SendAsync("get_meta");

        using var fast = server.Connect();
        await fast.SendAsync("get_metadata f\r\n");
        await fast.ExpectAsync("0 OK\r\n1\r\n");

        await slow.SendAsync("data f\r\n");
        await slow.ExpectAsync("0 OK\r\n1\r\n");
    }

    [Fact]
    public async Task StoppingTheServerClosesEveryConnection()
    {
        var server = TestServer.Start();
        using var idle = server.Connect();
        using var busy = server.Connect();
        await busy.SendAsync("get_file_listing\r\n");
        await busy.ExpectAsync("0 OK\r\n\r\n");

        server.Dispose();

        await idle.ExpectClosedAsync(TimeSpan.FromSeconds(3));
        await busy.ExpectClosedAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(0, server.Server.ActiveConnections);
    }
}
