using Hftp.Protocol;
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
        await first.SendAsync(Requests.GetMetadata("shared.txt"));
        await first.ExpectAsync(Replies.Size(10));

        var others = Enumerable.Range(0, 32).Select(_ => server.Connect()).ToList();
        try
        {
            Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 33, TestTimeouts.Condition));
            await Task.WhenAll(others.Select(async (client, index) =>
            {
                var offset = index % 10;
                await client.SendAsync(Requests.GetSlice("shared.txt", offset, 1));
                await client.ExpectAsync(Replies.Base64Slice(Convert.ToBase64String([(byte)('0' + offset)])));
            }));

            // The first client, connected all along, is still served.
            await first.SendAsync(Requests.GetSlice("shared.txt", 0, 3));
            await first.ExpectAsync(Replies.Base64Slice("MDEy"));
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
        await fast.SendAsync(Requests.GetMetadata("f"));
        await fast.ExpectAsync(Replies.Size(1));

        await slow.SendAsync("data f\r\n");
        await slow.ExpectAsync(Replies.Size(1));
    }

    [Fact]
    public async Task StoppingTheServerClosesEveryConnection()
    {
        var server = TestServer.Start();
        using var idle = server.Connect();
        using var busy = server.Connect();
        await busy.SendAsync(Requests.GetFileListing);
        await busy.ExpectAsync(Replies.Listing());

        server.Dispose();

        await idle.ExpectClosedAsync(TestTimeouts.Reply);
        await busy.ExpectClosedAsync(TestTimeouts.Reply);
        Assert.Equal(0, server.Server.ActiveConnections);
    }
}
