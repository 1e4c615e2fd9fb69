using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class LargeFileTests
{

    private static TestServer StartServer() => TestServer.Start();

    private const int BlockSize = 128 * 1024;

    [Fact]
    public async Task FileOf254DistinctBlocksIsSlicedWholeAndByteExact()
    {
        using var server = StartServer();
        var content = new byte[254 * BlockSize];
        for (var block = 0; block < 254; block++)
        {
            content.AsSpan(block * BlockSize, BlockSize).Fill((byte)block);
        }

        server.WriteFile("blocks.bin", content);
        using var client = server.Connect();

        await client.SendAsync(Requests.GetMetadata("blocks.bin") + Requests.GetSlice("blocks.bin", 0, content.Length));

        await client.ExpectAsync(Replies.Size(content.Length) + StatusCode.Ok.StatusLineText());
        Assert.Equal(content, await Base64Reply.ReadSliceBodyAsync(client, content.Length, TestTimeouts.Transfer));
    }

    [Fact]
    public async Task SparseFileOverFourGibibytesIsSlicedNearItsEnd()
    {
        using var server = StartServer();
        const long size = (5L << 30) + 7;
        var marker = "beyond 2^32"u8.ToArray();
        const long markerOffset = size - 100;
        using (var file = new FileStream(server.PathOf("huge.bin"), FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(size);
            file.Position = markerOffset;
            file.Write(marker);
        }

        using var client = server.Connect();

        await client.SendAsync(Requests.GetMetadata("huge.bin") + Requests.GetSlice("huge.bin", markerOffset, marker.Length));
        await client.ExpectAsync(Replies.Size(size) + StatusCode.Ok.StatusLineText());
        Assert.Equal(marker, await Base64Reply.ReadSliceBodyAsync(client, marker.Length));

        await client.SendAsync(Requests.GetSlice("huge.bin", size - 4, 4) + Requests.GetSlice("huge.bin", size - 4, 5));
        await client.ExpectAsync(Replies.Base64Slice("AAAAAA==") + StatusCode.OffsetExceedsFileSize.StatusLineText());
    }

    [Fact]
    public async Task ClientLeavingMidSliceEndsOnlyItsOwnConnection()
    {
        using var server = StartServer();
        server.WriteFile("small", "ok");
        server.WriteSparseFile("big.bin", 256L << 20);

        using var bystander = server.Connect();
        await bystander.SendAsync(Requests.GetMetadata("small"));
        await bystander.ExpectAsync(Replies.Size(2));

        using (var leaver = server.Connect())
        {
            await leaver.SendAsync(Requests.GetSlice("big.bin", 0, 268435456));
            await leaver.ExpectAsync(StatusCode.Ok.StatusLineText());
            await leaver.ReadExactlyAsync(64 * 1024);
            leaver.Socket.LingerState = new LingerOption(true, 0); // leave abruptly: a reset, not a goodbye
        }

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 1, TestTimeouts.Condition),
            $"the abandoned connection's thread did not end; {server.Server.ActiveConnections} connections remain");
        await bystander.SendAsync(Requests.GetSlice("small", 0, 2));
        await bystander.ExpectAsync(Replies.Base64Slice("b2s="));
        using var newcomer = server.Connect();
        await newcomer.SendAsync(Requests.GetMetadata("small"));
        await newcomer.ExpectAsync(Replies.Size(2));
    }
}
