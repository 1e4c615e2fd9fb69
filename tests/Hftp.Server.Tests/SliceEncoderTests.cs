using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Server.Networking;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>
/// A large slice is read and encoded by a slice encoder while its connection thread sends the chunks before: the
/// reply must be the same bytes, in the same order, as when the connection thread does it all, and whatever ends the
/// slice early (a read that fails, a client that leaves or stops reading, a stop) must give the encoder back.
/// </summary>
public sealed class SliceEncoderTests
{
    private static readonly int Chunk = SliceWriter.RawBytesThatFit(new ServerOptions().LargeReplyBufferSize);

    private static TestServer StartServer(int encoders, Func<ServerOptions, ServerOptions>? more = null) =>
        TestServer.Start(options => (more ?? (o => o))(options with { SliceEncoders = encoders }), LogEventLevel.Information);

    // From 1 MiB on (smaller slices are not handed an encoder): offsets and sizes around the chunk boundaries, sizes
    // that are no multiple of 3 (padding in the last chunk), more chunks than the ring has slots.
    public static TheoryData<int, int> Slices => new()
    {
        { 0, 6 * 1024 * 1024 },
        { 1, (6 * Chunk) + 1 },
        { Chunk - 1, (7 * Chunk) + 2 },
        { 7, (3 * SliceEncoder.Slots * Chunk) + 5 },
        { 3, 1024 * 1024 },
    };

    [Theory]
    [MemberData(nameof(Slices))]
    public async Task ASliceEncodedAheadArrivesByteExact(int offset, int size)
    {
        using var server = StartServer(encoders: 1);
        var content = DistinctContent(6 * 1024 * 1024 + 64);
        server.WriteFile("f.bin", content);
        using var client = server.Connect();

        await client.SendAsync(Requests.GetSlice("f.bin", offset, size) + Requests.GetMetadata("f.bin"));

        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        Assert.Equal(content.AsSpan(offset, size).ToArray(), await Base64Reply.ReadSliceBodyAsync(client, size, TestTimeouts.Transfer));
        await client.ExpectAsync(Replies.Size(content.Length));
        Assert.Equal(1, server.Server.SlicesEncodedAhead);
    }

    [Theory]
    [InlineData(0, 3 * 1024 * 1024, 0)] // no encoders: every slice alone, as before they existed
    [InlineData(1, 1024 * 1024, 1)] // a slice just under a mebibyte: waking an encoder would cost more than it saves
    public async Task ASliceNotHandedAnEncoderIsServedByItsOwnThread(int encoders, int length, int offset)
    {
        using var server = StartServer(encoders);
        var content = DistinctContent(length);
        server.WriteFile("f.bin", content);

        await ExpectSlice(server, content, offset);

        Assert.Equal(0, server.Server.SlicesEncodedAhead);
        Assert.True(server.Log.ContainsText(LogEventLevel.Information, $"; {encoders} slice encoder(s)"));
    }

    [Fact]
    public async Task ClientsSlicingAtOnceShareOneEncoderAndAllGetTheirBytes()
    {
        using var server = StartServer(encoders: 1);
        var content = DistinctContent(8 * 1024 * 1024);
        server.WriteFile("f.bin", content);
        var clients = Enumerable.Range(0, 4).Select(_ => server.Connect()).ToList();
        try
        {
            // Each asks before any reads, so the slices overlap: one has the encoder, the others encode alone.
            foreach (var (client, index) in clients.Select((client, index) => (client, index)))
            {
                await client.SendAsync(Requests.GetSlice("f.bin", index, content.Length - index));
            }

            await Task.WhenAll(clients.Select(async (client, index) =>
            {
                await client.ExpectAsync(StatusCode.Ok.StatusLineText(), TestTimeouts.Transfer);
                var body = await Base64Reply.ReadSliceBodyAsync(client, content.Length - index, TestTimeouts.Transfer);
                Assert.True(content.AsSpan(index).SequenceEqual(body), $"client {index} got other bytes");
            }));
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }

        Assert.InRange(server.Server.SlicesEncodedAhead, 1, 4);
    }

    [Fact]
    public async Task AClientLeavingMidSliceGivesTheEncoderBack()
    {
        using var server = StartServer(encoders: 1);
        server.WriteSparseFile("big.bin", 256L << 20);
        var content = DistinctContent(2 * 1024 * 1024);
        server.WriteFile("f.bin", content);

        using (var leaver = server.Connect())
        {
            await leaver.SendAsync(Requests.GetSlice("big.bin", 0, 256L << 20));
            await leaver.ExpectAsync(StatusCode.Ok.StatusLineText());
            await leaver.ReadExactlyAsync(64 * 1024);
            leaver.Socket.LingerState = new LingerOption(true, 0); // a reset: the server's next send fails
        }

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, TestTimeouts.Condition));
        await ExpectSliceEncodedAhead(server, content, expectedSoFar: 2);
    }

    [Fact]
    public async Task AFileShrinkingUnderTheEncoderClosesTheConnectionAndGivesTheEncoderBack()
    {
        using var server = StartServer(encoders: 1);
        const long size = 256L << 20;
        server.WriteSparseFile("shrinking.bin", size);
        var content = DistinctContent(2 * 1024 * 1024);
        server.WriteFile("f.bin", content);

        await ShrinkingSlice.ExpectCutShortAsync(server, "shrinking.bin", size);
        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Error, "after its reply began"), TestTimeouts.Condition));
        await ExpectSliceEncodedAhead(server, content, expectedSoFar: 2);
    }

    [SysfsFact]
    public async Task AFirstChunkThatFailsToReadIsAnswered199()
    {
        // A sysfs file claims 4096 bytes and reads fewer: the encoder's first read fails before any reply byte was
        // sent, so 199 replaces the reply, as when the connection thread reads itself.
        using var server = TestServer.Start(options => options with
        {
            Directory = SysfsFactAttribute.Directory,
            SliceEncoders = 1,
            MinimumEncodedAheadSliceSize = 1,
        });
        using var client = server.Connect();

        await client.SendAsync(Requests.GetSlice(SysfsFactAttribute.FileName, 0, 4096) + Requests.GetMetadata(SysfsFactAttribute.FileName));

        await client.ExpectAsync(StatusCode.InternalServerError.StatusLineText());
        await client.ExpectClosedAsync();
        Assert.Equal(1, server.Server.SlicesEncodedAhead);
    }

    [Fact]
    public async Task AClientThatStopsReadingIsCutByTheSendTimeoutAndTheEncoderIsGivenBack()
    {
        using var server = StartServer(encoders: 1, options => options with { SendTimeout = TimeSpan.FromMilliseconds(500) });
        server.WriteSparseFile("big.bin", 64L << 20);
        var content = DistinctContent(2 * 1024 * 1024);
        server.WriteFile("f.bin", content);

        using (var stalled = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 })
        {
            await stalled.ConnectAsync(server.EndPoint);
            await stalled.SendAsync(System.Text.Encoding.ASCII.GetBytes(Requests.GetSlice("big.bin", 0, 64L << 20)));
            Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Information, "(SendTimeout)"), TestTimeouts.Condition));
        }

        await ExpectSliceEncodedAhead(server, content, expectedSoFar: 2);
    }

    [Fact]
    public async Task StopCutsASliceUnderWayWithItsEncoder()
    {
        using var server = StartServer(encoders: 1, options => options with { ShutdownTimeout = TimeSpan.Zero });
        server.WriteSparseFile("big.bin", 256L << 20);
        using var client = server.Connect();
        await client.SendAsync(Requests.GetSlice("big.bin", 0, 256L << 20));
        await client.ExpectAsync(StatusCode.Ok.StatusLineText());

        var summary = server.Server.Stop();

        Assert.Equal(1, summary.Cut);
        Assert.Equal(0, server.Server.ActiveConnections);
        Assert.Equal(1, server.Server.SlicesEncodedAhead);
    }

    // Another client's slice, served exactly and with the encoder's help: it was given back.
    private static async Task ExpectSliceEncodedAhead(TestServer server, byte[] content, long expectedSoFar)
    {
        await ExpectSlice(server, content);
        Assert.Equal(expectedSoFar, server.Server.SlicesEncodedAhead);
    }

    // A new client's slice of f.bin from offset to its end, compared byte for byte.
    private static async Task ExpectSlice(TestServer server, byte[] content, int offset = 0)
    {
        using var client = server.Connect();
        await client.SendAsync(Requests.GetSlice("f.bin", offset, content.Length - offset));
        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        Assert.Equal(content.AsSpan(offset).ToArray(), await Base64Reply.ReadSliceBodyAsync(client, content.Length - offset, TestTimeouts.Transfer));
    }

    // Every 4-byte word its own offset: a chunk sent twice, out of order or shifted shows.
    private static byte[] DistinctContent(int length)
    {
        var content = new byte[length];
        for (var index = 0; index + 4 <= length; index += 4)
        {
            BitConverter.TryWriteBytes(content.AsSpan(index), index);
        }

        return content;
    }
}
