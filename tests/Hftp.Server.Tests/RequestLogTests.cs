using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>What the server logs about each request and each connection (the test server logs at Debug).</summary>
public sealed class RequestLogTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Reply;

    [Fact]
    public async Task DebugRequestLinesNameTheStatusAnsweredAndTheReplySize()
    {
        using var server = TestServer.Start();
        server.WriteFile("a", "0123456789ab");
        using var client = server.Connect();
        var remote = client.Socket.LocalEndPoint!.ToString();

        await client.SendAsync(Requests.GetSlice("a", 0, 10) + Requests.GetMetadata("nope") + Requests.GetSlice("a", 5, 10) + Requests.Line("nope"));
        await client.ExpectAsync(Replies.Base64Slice("MDEyMzQ1Njc4OQ==") + StatusCode.FileNotFound.StatusLineText() + StatusCode.OffsetExceedsFileSize.StatusLineText() + StatusCode.NoSuchCommand.StatusLineText());

        foreach (var line in new[]
        {
            $"{remote} get_slice a 0 10 -> 0 OK, 24 bytes",
            $"{remote} get_metadata nope -> 202 FILE NOT FOUND, 20 bytes",
            $"{remote} get_slice a 5 10 -> 203 OFFSET EXCEEDS FILE SIZE, 30 bytes",
            $"{remote} sent an invalid request -> 200 NO SUCH COMMAND, 21 bytes",
        })
        {
            Assert.True(await Eventually.HoldsAsync(() => server.Log.ContainsText(LogEventLevel.Debug, line), Bound), line);
        }
    }

    [Fact]
    public async Task ClientVanishingMidReplyIsOneClosingLineWithoutAStackTrace()
    {
        using var server = TestServer.Start();
        const long size = 256L << 20;
        server.WriteSparseFile("big.bin", size);
        var client = server.Connect();
        var remote = client.Socket.LocalEndPoint!.ToString()!;

        await client.SendAsync(Requests.GetSlice("big.bin", 0, size));
        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        await client.ReadExactlyAsync(64 * 1024);
        client.Socket.LingerState = new LingerOption(enable: true, seconds: 0); // vanish: reset, not a clean close
        client.Dispose();

        Assert.True(await Eventually.HoldsAsync(() => server.Log.ContainsText(LogEventLevel.Information, $"Closed {remote}"), Bound));
        var aboutClient = server.Log.Events
            .Where(e => CapturedLog.Text(e).Contains(remote, StringComparison.Ordinal))
            .ToList();
        Assert.All(aboutClient, e => Assert.Null(e.Exception));
        var closing = Assert.Single(aboutClient, e => e.Level >= LogEventLevel.Information && !IsConnectedLine(e));
        Assert.Equal(LogEventLevel.Information, closing.Level);
        Assert.Matches("^Closed .* \\(\"?NetworkError\"?: [A-Za-z ]+\\): requests served 1", CapturedLog.Text(closing));
    }

    private static bool IsConnectedLine(LogEvent logEvent) =>
        CapturedLog.Text(logEvent).StartsWith("Connected by", StringComparison.Ordinal);
}
