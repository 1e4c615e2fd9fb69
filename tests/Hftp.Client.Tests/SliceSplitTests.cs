using System.Globalization;
using System.Text;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Client.Tests;

/// <summary>
/// A correct slice reply must decode to the same bytes however TCP splits it: in the status line, inside the
/// base64, between the last (padded) block and its <c>\r\n</c>, between <c>\r</c> and <c>\n</c>, or a byte at a
/// time. Lengths 1, 4 and 1081 end in <c>==</c>, 2 and 5 in <c>=</c>, 3 and 6 in no padding.
/// </summary>
public sealed class SliceSplitTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(20)]
    public async Task SliceCutAtEveryByteDecodesExactly(int length)
    {
        var replyLength = ReplyOf(ContentOf(length)).Length;
        var cuts = Enumerable.Range(1, replyLength - 1).Select(cut => new[] { cut }).ToList();

        AssertDecodesExactly(await DecodeEachAsync(ContentOf(length), cuts));
    }

    [Theory]
    [InlineData(1081)]
    [InlineData(1082)]
    [InlineData(1083)]
    public async Task KilobyteSliceCutNearItsEdgesDecodesExactly(int length)
    {
        var replyLength = ReplyOf(ContentOf(length)).Length;
        var cuts = Enumerable.Range(1, 16).Concat(Enumerable.Range(replyLength - 16, 16)).Select(cut => new[] { cut }).ToList();

        AssertDecodesExactly(await DecodeEachAsync(ContentOf(length), cuts));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20)]
    public async Task SliceSentAByteAtATimeDecodesExactly(int length)
    {
        var replyLength = ReplyOf(ContentOf(length)).Length;

        AssertDecodesExactly(await DecodeEachAsync(ContentOf(length), [[.. Enumerable.Range(1, replyLength - 1)]]));
    }

    // A server that writes the terminator on its own, or a proxy forwarding 1,450 bytes per write
    // (6 + 1444 for --length 1081), puts the padded last block in one read and its \r\n in the next.
    [Theory]
    [InlineData(1081)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(100_000)]
    [InlineData(100_001)]
    [InlineData(100_002)]
    public async Task SliceWithItsTerminatorSentSeparatelyDecodesExactly(int length)
    {
        var replyLength = ReplyOf(ContentOf(length)).Length;

        AssertDecodesExactly(await DecodeEachAsync(ContentOf(length), [[replyLength - 2], [replyLength - 2, replyLength - 1], [6, replyLength - 2]]));
    }

    // What 'hftp shell' shows for a get_slice typed as is: the reply as sent, however it was split.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(20)]
    public async Task RawSliceCutAtEveryByteIsShownExactly(int length)
    {
        var content = ContentOf(length);
        var reply = ReplyOf(content);
        var expected = $"0 OK\n{Convert.ToBase64String(content)}\n";
        await using var server = ScriptedServer.Start(async connection =>
        {
            for (var request = await connection.ReadRequestAsync(); request is not null; request = await connection.ReadRequestAsync())
            {
                await connection.SendInSegmentsAsync(reply, int.Parse(request.Split(' ')[2], CultureInfo.InvariantCulture));
            }
        });
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        for (var cut = 1; cut < reply.Length; cut++)
        {
            using var shown = new StringWriter();
            await client.SendRawAsync($"get_slice split {cut} {length}", shown);
            Assert.Equal(expected, shown.ToString());
        }
    }

    private static void AssertDecodesExactly(List<string> failures) =>
        Assert.True(failures.Count == 0, string.Join('\n', failures));

    private static byte[] ContentOf(int length)
    {
        var content = new byte[length];
        new Random(length).NextBytes(content);
        return content;
    }

    private static byte[] ReplyOf(byte[] content) => Encoding.ASCII.GetBytes(Replies.Slice(content));

    /// <summary>
    /// Asks for the slice once per entry of <paramref name="cutsPerRequest"/>; the scripted server sends the
    /// reply cut there. The request's offset says which entry it is. Returns a line per wrong result.
    /// </summary>
    private static async Task<List<string>> DecodeEachAsync(byte[] content, List<int[]> cutsPerRequest)
    {
        var reply = ReplyOf(content);
        await using var server = ScriptedServer.Start(async connection =>
        {
            for (var request = await connection.ReadRequestAsync(); request is not null && request != "quit"; request = await connection.ReadRequestAsync())
            {
                var index = int.Parse(request.Split(' ')[2], CultureInfo.InvariantCulture);
                await connection.SendInSegmentsAsync(reply, cutsPerRequest[index]);
            }
        });

        var failures = new List<string>();
        HftpClient? client = null;
        try
        {
            for (var index = 0; index < cutsPerRequest.Count; index++)
            {
                client ??= await HftpClient.ConnectAsync("127.0.0.1", server.Port);
                var cuts = $"{content.Length} bytes cut at [{string.Join(',', cutsPerRequest[index])}]";
                using var received = new MemoryStream();
                try
                {
                    await client.ReadSliceAsync("split", index, content.Length, received);
                    if (!received.ToArray().AsSpan().SequenceEqual(content))
                    {
                        failures.Add($"{cuts}: decoded to different bytes");
                    }
                }
                catch (HftpException exception)
                {
                    failures.Add($"{cuts}: {exception.Message}");
                    client.Dispose();
                    client = null;
                }
            }
        }
        finally
        {
            client?.Dispose();
        }

        return failures;
    }
}
