using System.Globalization;
using System.Text;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Client.Tests;

/// <summary>
/// A raw slice reply (2026) is <c>0 OK</c>, exactly one <c>Content-Length: SIZE</c> line for the SIZE asked, an empty
/// line, then SIZE bytes. Any other header is a protocol error before a byte is written: a server that lies never
/// makes the client write wrong bytes. Fewer bytes, then the end of the stream, is a connection failure, with the
/// bytes that did arrive written (a download resumes after them).
/// </summary>
public sealed class RawSliceReplyTests
{
    private static readonly byte[] Content = ContentOf(300_000);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 1)]
    [InlineData(7, 13)]
    [InlineData(1000, 299_000)]
    [InlineData(0, 300_000)]
    public async Task RawSliceIsReadExactlyAndTheNextReplyFollows(int offset, int length)
    {
        await using var server = InMemoryHftpServer.Revision2026(new Dictionary<string, byte[]> { ["f"] = Content });
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        using var received = new MemoryStream();
        await client.ReadRawSliceAsync("f", offset, length, received);
        await client.ReadRawSliceAsync("f", offset, length, received);

        Assert.Equal([.. Content.AsSpan(offset, length), .. Content.AsSpan(offset, length)], received.ToArray());
        Assert.Equal(Content.Length, await client.GetSizeAsync("f"));
        Assert.Equal($"get_slice f {offset} {length} raw", server.Connections[0].Requests[0]);
    }

    [Theory]
    [InlineData("Content-Length: 4\r\n\r\nhell")]
    [InlineData("Content-Length: 6\r\n\r\nhello!")]
    [InlineData("Content-Length: 50\r\n\r\nhello")]
    [InlineData("Content-Length: 05\r\n\r\nhello")]
    [InlineData("Content-Length: -5\r\n\r\nhello")]
    [InlineData("Content-Length: 5 \r\n\r\nhello")]
    [InlineData("Content-Length:5\r\n\r\nhello")]
    [InlineData("content-length: 5\r\n\r\nhello")]
    [InlineData("Content-Length: 5\n\nhello")]
    [InlineData("Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello")]
    [InlineData("Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")]
    [InlineData("Content-Length: 5\r\nhello")]
    [InlineData("\r\nhello")]
    [InlineData("hello")]
    [InlineData("aGVsbG8=\r\n")]
    public async Task AnyOtherHeaderIsAProtocolErrorAndWritesNothing(string afterStatus)
    {
        // The scripted server keeps the connection open: a client waiting for a header that never comes would time out instead.
        await using var server = ScriptedServer.Answering(_ => StatusCode.Ok.StatusLineText() + afterStatus);
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port, new HftpClientOptions { ReadTimeout = TestTimeouts.Condition });

        using var received = new MemoryStream();
        var error = await Assert.ThrowsAsync<HftpProtocolException>(() => client.ReadRawSliceAsync("f", 0, 5, received));

        Assert.Empty(received.ToArray());
        Assert.Contains("raw slice reply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShortBodyThenEndOfStreamIsAConnectionFailureAfterTheBytesThatCame()
    {
        await using var server = ScriptedServer.Start(async connection =>
        {
            await connection.ReadRequestAsync();
            await connection.SendAsync(InMemoryHftpServer.RawSlice(Content.AsSpan(0, 1000))[..^400]);
        });
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        using var received = new MemoryStream();
        var error = await Assert.ThrowsAsync<HftpConnectionException>(() => client.ReadRawSliceAsync("f", 0, 1000, received));

        Assert.Contains("in the middle of a reply", error.Message, StringComparison.Ordinal);
        Assert.Equal(Content[..600], received.ToArray());
    }

    [Fact]
    public async Task EndOfStreamInTheHeaderIsAConnectionFailure()
    {
        await using var server = ScriptedServer.Start(async connection =>
        {
            await connection.ReadRequestAsync();
            await connection.SendAsync(StatusCode.Ok.StatusLineText() + "Content-Len");
        });
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        await Assert.ThrowsAsync<HftpConnectionException>(() => client.ReadRawSliceAsync("f", 0, 5, Stream.Null));
    }

    [Fact]
    public async Task RawSliceCutAtEveryByteIsReadExactly()
    {
        var content = ContentOf(20);
        content[3] = (byte)'\r';
        content[4] = (byte)'\n';
        var reply = Encoding.Latin1.GetBytes(InMemoryHftpServer.RawSlice(content));
        var cutsPerRequest = Enumerable.Range(1, reply.Length - 1).Select(cut => new[] { cut })
            .Append([.. Enumerable.Range(1, reply.Length - 1)]) // a byte at a time
            .ToList();
        await using var server = ScriptedServer.Start(async connection =>
        {
            for (var request = await connection.ReadRequestAsync(); request is not null && request != "quit"; request = await connection.ReadRequestAsync())
            {
                await connection.SendInSegmentsAsync(reply, cutsPerRequest[int.Parse(request.Split(' ')[2], CultureInfo.InvariantCulture)]);
            }
        });
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var failures = new List<string>();
        for (var index = 0; index < cutsPerRequest.Count; index++)
        {
            using var received = new MemoryStream();
            await client.ReadRawSliceAsync("split", index, content.Length, received);
            if (!received.ToArray().AsSpan().SequenceEqual(content))
            {
                failures.Add($"cut at [{string.Join(',', cutsPerRequest[index])}]");
            }
        }

        Assert.Empty(failures);
    }

    // What 'hftp shell' shows for a raw get_slice typed as is: the header, then the bytes as text, unprintable ones as '.'.
    [Theory]
    [InlineData("calor que hace", "calor que hace\n")]
    [InlineData("two\nlines\n", "two\nlines\n")]
    [InlineData("a\r\n\u0000\u00ffb", "a.\n..b\n")]
    [InlineData("", "")]
    public async Task RawSliceTypedInTheShellIsShownAsText(string body, string shown)
    {
        var content = Encoding.Latin1.GetBytes(body);
        await using var server = InMemoryHftpServer.Revision2026(new Dictionary<string, byte[]> { ["f"] = content });
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        using var output = new StringWriter();
        var reply = await client.SendRawAsync($"get_slice f 0 {content.Length} raw", output);
        await client.SendRawAsync("get_metadata f", output);

        Assert.Equal(StatusCode.Ok, reply.Status);
        Assert.Equal($"0 OK\nContent-Length: {content.Length}\n\n{shown}0 OK\n{content.Length}\n", output.ToString());
    }

    private static byte[] ContentOf(int length)
    {
        var content = new byte[length];
        new Random(length).NextBytes(content);
        return content;
    }
}
