using System.Text;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>
/// In steady state a request allocates nothing on its connection's thread, so garbage collections (which stop every
/// connection's thread) stay rare however many requests are served. Thousands of pipelined requests go over a real
/// socket; the server's own tally of what its connection threads allocated must not grow with their number.
/// </summary>
public sealed class RequestAllocationTests
{
    private const int RequestsPerSend = 50;
    private const int WarmUpSends = 40;
    private const int MeasuredSends = 100;

    // Far below one object per request (thousands of requests): what is left is what a runtime may do once in a while.
    private const long AllowedBytes = 4 * 1024;

    [Fact]
    public Task PipelinedMetadataOfSeveralNamesAllocatesNothing() => AssertAllocatesNothing(
        server =>
        {
            server.WriteFile("alpha.txt", "12345");
            server.WriteFile("beta.bin", new byte[1234]);
        },
        ("get_metadata alpha.txt\r\n", "0 OK\r\n5\r\n"),
        ("get_metadata beta.bin\r\n", "0 OK\r\n1234\r\n"));

    [Fact]
    public Task PipelinedSlicesOfSmallFilesAllocateNothing() => AssertAllocatesNothing(
        server =>
        {
            server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");
            server.WriteFile("other.txt", "abc");
        },
        ("get_slice archivo.txt 5 20\r\n", "0 OK\r\nY2Fsb3IgcXVlIGhhY2UgaG95LCA=\r\n"),
        ("get_slice other.txt 0 3\r\n", "0 OK\r\nYWJj\r\n"));

    [Fact]
    public Task SlicesThroughTheLargeReplyBufferAllocateNothing()
    {
        var content = new byte[200 * 1024];
        new Random(9).NextBytes(content);
        var slice = content.AsSpan(1000, 150 * 1024);
        return AssertAllocatesNothing(
            server => server.WriteFile("large.bin", content),
            sendsPerPhase: 4,
            ($"get_slice large.bin 1000 {slice.Length}\r\n", $"0 OK\r\n{Convert.ToBase64String(slice)}\r\n"));
    }

    [Fact]
    public Task ListingsAllocateNothing() => AssertAllocatesNothing(
        server =>
        {
            server.WriteFile("b.txt", "b");
            server.WriteFile("a.txt", "a");
            server.WriteFile("c-1_2.bin", "c");
            Directory.CreateDirectory(server.PathOf("folder"));
            server.WriteFile("not served.txt", "d");
        },
        sendsPerPhase: 20,
        ("get_file_listing\r\n", "0 OK\r\na.txt\r\nb.txt\r\nc-1_2.bin\r\n\r\n"));

    [Fact]
    public Task RefusedRequestsAllocateNothing() => AssertAllocatesNothing(
        server => server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!"),
        ("hello\r\n", "200 NO SUCH COMMAND\r\n"),
        ("get_metadata a b\r\n", "201 INVALID ARGUMENTS FOR COMMAND\r\n"),
        ("get_metadata nope.txt\r\n", "202 FILE NOT FOUND\r\n"),
        ("get_slice nope.txt 0 1\r\n", "202 FILE NOT FOUND\r\n"),
        ("get_slice archivo.txt 30 20\r\n", "203 OFFSET EXCEEDS FILE SIZE\r\n"));

    private static Task AssertAllocatesNothing(Action<TestServer> prepare, params (string Request, string Reply)[] exchanges) =>
        AssertAllocatesNothing(prepare, MeasuredSends, exchanges);

    private static async Task AssertAllocatesNothing(Action<TestServer> prepare, int sendsPerPhase, params (string Request, string Reply)[] exchanges)
    {
        // At Information, as served by default: at Debug every request is logged, which allocates by design.
        using var server = TestServer.Start(minimumLevel: LogEventLevel.Information);
        prepare(server);
        using var client = server.Connect();
        var requests = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(string.Concat(exchanges.Select(e => e.Request)), RequestsPerSend)));
        var replies = string.Concat(Enumerable.Repeat(string.Concat(exchanges.Select(e => e.Reply)), RequestsPerSend));
        var requestsPerSend = RequestsPerSend * exchanges.Length;

        var warmUpSends = Math.Min(WarmUpSends, sendsPerPhase);
        await Exchange(client, requests, replies, warmUpSends);
        await WaitForTally(server, warmUpSends * requestsPerSend);
        var before = server.Server.Metrics.RequestPathAllocations;

        await Exchange(client, requests, replies, sendsPerPhase);
        await WaitForTally(server, before.Requests + (sendsPerPhase * requestsPerSend));
        var after = server.Server.Metrics.RequestPathAllocations;

        var allocated = after.AllocatedBytes - before.AllocatedBytes;
        var measured = after.Requests - before.Requests;
        Assert.True(allocated <= AllowedBytes,
            $"{measured} requests allocated {allocated} bytes on the connection's thread ({(double)allocated / measured:0.#} per request)");
    }

    private static async Task Exchange(RawClient client, byte[] requests, string replies, int sends)
    {
        for (var send = 0; send < sends; send++)
        {
            await client.SendAsync(requests);
            await client.ExpectAsync(replies, TestTimeouts.Reply);
        }
    }

    // The tally is added once a batch's replies are handed to the socket: the client can read them a moment before.
    private static async Task WaitForTally(TestServer server, long requests) =>
        Assert.True(
            await Eventually.HoldsAsync(() => server.Server.Metrics.RequestPathAllocations.Requests >= requests, TestTimeouts.Condition),
            $"the server tallied {server.Server.Metrics.RequestPathAllocations.Requests} requests, expected {requests}");
}
