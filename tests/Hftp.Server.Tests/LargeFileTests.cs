using System.Net.Sockets;
using Hftp.Testing;

namespace Hftp.Server.Tests;

public abstract class LargeFileTests
{
    /// <summary>The file back end under test; each concrete subclass runs every test here against one.</summary>
    protected abstract FileBackEnd BackEnd { get; }

    private TestServer StartServer() => TestServer.Start(options => options with { FileBackEnd = BackEnd });

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

        await client.SendAsync($"get_metadata blocks.bin\r\nget_slice blocks.bin 0 {content.Length}\r\n");

        await client.ExpectAsync($"0 OK\r\n{content.Length}\r\n0 OK\r\n");
        Assert.Equal(content, await Base64Reply.ReadSliceBodyAsync(client, content.Length, TimeSpan.FromSeconds(60)));
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

        await client.SendAsync($"get_metadata huge.bin\r\nget_slice huge.bin {markerOffset} {marker.Length}\r\n");
        await client.ExpectAsync($"0 OK\r\n{size}\r\n0 OK\r\n");
        Assert.Equal(marker, await Base64Reply.ReadSliceBodyAsync(client, marker.Length));

        await client.SendAsync($"get_slice huge.bin {size - 4} 4\r\nget_slice huge.bin {size - 4} 5\r\n");
        await client.ExpectAsync("0 OK\r\nAAAAAA==\r\n203 OFFSET EXCEEDS FILE SIZE\r\n");
    }

    [Fact]
    public async Task ClientLeavingMidSliceEndsOnlyItsOwnConnection()
    {
        using var server = StartServer();
        server.WriteFile("small", "ok");
        server.WriteSparseFile("big.bin", 256L << 20);

        using var bystander = server.Connect();
        await bystander.SendAsync("get_metadata small\r\n");
        await bystander.ExpectAsync("0 OK\r\n2\r\n");

        using (var leaver = server.Connect())
        {
            await leaver.SendAsync("get_slice big.bin 0 268435456\r\n");
            await leaver.ExpectAsync("0 OK\r\n");
            await leaver.ReadExactlyAsync(64 * 1024);
            leaver.Socket.LingerState = new LingerOption(true, 0); // leave abruptly: a reset, not a goodbye
        }

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 1, TimeSpan.FromSeconds(10)),
            $"the abandoned connection's thread did not end; {server.Server.ActiveConnections} connections remain");
        await bystander.SendAsync("get_slice small 0 2\r\n");
        await bystander.ExpectAsync("0 OK\r\nb2s=\r\n");
        using var newcomer = server.Connect();
        await newcomer.SendAsync("get_metadata small\r\n");
        await newcomer.ExpectAsync("0 OK\r\n2\r\n");
    }
}

public sealed class LinuxBackEndLargeFileTests : LargeFileTests
{
    protected override FileBackEnd BackEnd => FileBackEnd.Linux;
}

public sealed class PortableBackEndLargeFileTests : LargeFileTests
{
    protected override FileBackEnd BackEnd => FileBackEnd.Portable;
}
