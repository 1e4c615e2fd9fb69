using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Client.Tests;

/// <summary>
/// <see cref="HftpClient.ReadSlicePreferringRawAsync"/> asks raw first; a classic server's 201 to that is
/// remembered in the shared <see cref="RawSliceSupport"/>: the slice comes in base64 without an error, and no
/// connection sharing it asks raw again. While the first raw request is out, the others wait for its answer.
/// </summary>
public sealed class RawSliceFallbackTests
{
    private static readonly byte[] Content = [.. Enumerable.Range(0, 4000).Select(index => (byte)(index * 7))];

    private static Dictionary<string, byte[]> Files => new() { ["f"] = Content };

    // The whole file in two slices on one connection, each raw if the server is known (or found) to have them.
    private static async Task<byte[]> ReadInTwoSlicesAsync(int port, RawSliceSupport rawSlices)
    {
        using var client = await HftpClient.ConnectAsync("127.0.0.1", port);
        using var received = new MemoryStream();
        await client.ReadSlicePreferringRawAsync("f", 0, 1000, received, rawSlices);
        await client.ReadSlicePreferringRawAsync("f", 1000, 3000, received, rawSlices);
        return received.ToArray();
    }

    [Fact]
    public async Task ClassicServerAnswersRawWith201OnceThenServesBase64()
    {
        await using var server = InMemoryHftpServer.Classic(Files);
        var rawSlices = new RawSliceSupport();

        Assert.Equal(Content, await ReadInTwoSlicesAsync(server.Port, rawSlices));
        Assert.False(rawSlices.IsSupported);
        Assert.Equal(["get_slice f 0 1000 raw", "get_slice f 0 1000", "get_slice f 1000 3000"], server.Connections[0].Requests);
    }

    [Fact]
    public async Task RevisedServerServesEverySliceRaw()
    {
        await using var server = InMemoryHftpServer.Revision2026(Files);
        var rawSlices = new RawSliceSupport();

        Assert.Equal(Content, await ReadInTwoSlicesAsync(server.Port, rawSlices));
        Assert.True(rawSlices.IsSupported);
        Assert.Equal(["get_slice f 0 1000 raw", "get_slice f 1000 3000 raw"], server.Connections[0].Requests);
    }

    [Fact]
    public async Task RealServerServesRawAndTheClientRemembers()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", Content);
        var rawSlices = new RawSliceSupport();

        Assert.Equal(Content, await ReadInTwoSlicesAsync(server.Port, rawSlices));
        Assert.True(rawSlices.IsSupported);
    }

    [Fact]
    public async Task ParallelConnectionsAskAClassicServerRawOnlyOnce()
    {
        await using var server = InMemoryHftpServer.Classic(Files);
        var rawSlices = new RawSliceSupport();

        var parts = await Task.WhenAll(Enumerable.Range(0, 4).Select(async part =>
        {
            await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);
            using var received = new MemoryStream();
            await client.ReadSlicePreferringRawAsync("f", part * 1000, 1000, received, rawSlices);
            return received.ToArray();
        }));

        Assert.Equal(Content, parts.SelectMany(part => part));
        var requests = server.Connections.SelectMany(connection => connection.Requests).ToList();
        Assert.Single(requests, request => request.EndsWith(" raw", StringComparison.Ordinal));
        Assert.Equal(4, requests.Count(request => request.StartsWith("get_slice", StringComparison.Ordinal) && !request.EndsWith(" raw", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Base64OnlyNeverAsksRaw()
    {
        await using var server = InMemoryHftpServer.Revision2026(Files);
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        using var received = new MemoryStream();
        await client.ReadSlicePreferringRawAsync("f", 0, Content.Length, received, RawSliceSupport.Base64Only());

        Assert.Equal(Content, received.ToArray());
        Assert.Equal(["get_slice f 0 4000"], server.Connections[0].Requests);
    }

    // The connection that was finding out dropped before any answer: the next one asks again instead of waiting for ever.
    [Fact]
    public async Task ConnectionDroppedBeforeTheAnswerLetsTheNextAsk()
    {
        var connections = 0;
        await using var server = ScriptedServer.Start(async connection =>
        {
            var request = await connection.ReadRequestAsync();
            if (Interlocked.Increment(ref connections) == 1)
            {
                return; // closes without a reply
            }

            await connection.SendAsync(StatusCode.InvalidArguments.StatusLineText());
            Assert.Equal("get_slice f 0 10", await connection.ReadRequestAsync());
            await connection.SendAsync(Replies.Slice(Content.AsSpan(0, 10)));
            await connection.IgnoreRequestsAsync();
        });
        var rawSlices = new RawSliceSupport();

        using (var first = await HftpClient.ConnectAsync("127.0.0.1", server.Port))
        {
            await Assert.ThrowsAsync<HftpConnectionException>(() => first.ReadSlicePreferringRawAsync("f", 0, 10, Stream.Null, rawSlices));
        }

        Assert.Null(rawSlices.IsSupported);
        using var second = await HftpClient.ConnectAsync("127.0.0.1", server.Port);
        using var received = new MemoryStream();
        await second.ReadSlicePreferringRawAsync("f", 0, 10, received, rawSlices).WaitAsync(TestTimeouts.Reply);

        Assert.Equal(Content[..10], received.ToArray());
        Assert.False(rawSlices.IsSupported);
        Assert.Equal("get_slice f 0 10 raw", server.Connections[1].Requests[0]);
    }

    [Fact]
    public async Task RawOnlyRequestToAClassicServerIs201AndTheConnectionGoesOn()
    {
        await using var server = InMemoryHftpServer.Classic(Files);
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var error = await Assert.ThrowsAsync<HftpStatusException>(() => client.ReadRawSliceAsync("f", 0, 10, Stream.Null));

        Assert.Equal(StatusCode.InvalidArguments, error.Status);
        Assert.Equal(Content.Length, await client.GetSizeAsync("f"));
    }

    [Fact]
    public async Task ErrorStatusOfARawRequestIsThrownAsIs()
    {
        await using var server = InMemoryHftpServer.Revision2026(Files);
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);
        var rawSlices = new RawSliceSupport();

        var error = await Assert.ThrowsAsync<HftpStatusException>(() => client.ReadSlicePreferringRawAsync("f", 3999, 2, Stream.Null, rawSlices));

        Assert.Equal(StatusCode.OffsetExceedsFileSize, error.Status);
        Assert.Equal(["get_slice f 3999 2 raw"], server.Connections[0].Requests);
    }
}
