using System.Text;
using Hftp.Server.Networking;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// Slices whose sizes fall on and around the reply buffer's edges (a read that fills it, a piece of the in-place
/// encoding, the send chunk), behind pipelined replies that take part of the buffer: every byte arrives encoded
/// exactly as Convert.ToBase64String encodes it.
/// </summary>
public sealed class SliceStreamingTests
{
    private static readonly int FullRead = SliceWriter.RawBytesThatFit(new ServerOptions().LargeReplyBufferSize);

    private const int SendChunk = 64 * 1024;

    public static TheoryData<int, int> Sizes() => new()
    {
        { 0, 3 * 1024 },
        { 1, 3 * 1024 + 1 },
        { 7, SliceWriter.PieceSize - 1 },
        { 0, SliceWriter.PieceSize },
        { 5, SliceWriter.PieceSize + 1 },
        { 0, SendChunk },
        { 2, SendChunk + 1 },
        { 0, FullRead - 1 },
        { 0, FullRead },
        { 11, FullRead + 1 },
        { 3, (3 * FullRead) + 2 },
        { 1, 1024 * 1024 },
        { 0, (2 * 1024 * 1024) + 5 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task SliceArrivesWholeBehindPipelinedReplies(int offset, int size)
    {
        using var server = TestServer.Start();
        var content = new byte[offset + size + 100];
        new Random(size).NextBytes(content);
        server.WriteFile("data.bin", content);
        server.WriteFile("a.txt", "abc");
        using var client = server.Connect();

        // A few short replies first, so the slice starts part way into the buffer; one after, so it ends there too.
        var requests = new StringBuilder();
        for (var i = 0; i < 20; i++)
        {
            requests.Append("get_metadata a.txt\r\n");
        }

        requests.Append($"get_slice data.bin {offset} {size}\r\nget_slice a.txt 0 3\r\n");
        await client.SendAsync(requests.ToString());

        for (var i = 0; i < 20; i++)
        {
            await client.ExpectAsync("0 OK\r\n3\r\n");
        }

        await client.ExpectAsync($"0 OK\r\n{Convert.ToBase64String(content, offset, size)}\r\n", TestTimeouts.Transfer);
        await client.ExpectAsync("0 OK\r\nYWJj\r\n");
    }
}
