using System.Diagnostics;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Client.Tests;

/// <summary>
/// After a failure in the middle of a reply the stream is at an unknown place: the client is broken. Disposing
/// it then closes the socket at once, without a <c>quit</c> the server could only answer after the rest of
/// the reply (before, it sent one and waited a second for it).
/// </summary>
public sealed class BrokenConnectionTests
{
    public static TheoryData<string> Failures => ["size that is not a number", "listing line too long", "cancelled while waiting", "slice not base64"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task DisposeAfterAFailureClosesAtOnceWithoutQuit(string failure)
    {
        await using var server = NeverClosingServer();
        var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);
        await FailAsync(client, failure);

        var started = Stopwatch.GetTimestamp();
        await client.DisposeAsync();
        var disposing = Stopwatch.GetElapsedTime(started);

        var connection = Assert.Single(server.Connections);
        await connection.Ended.WaitAsync(TestTimeouts.Reply);
        Assert.DoesNotContain("quit", connection.Requests);
        Assert.True(disposing < TimeSpan.FromMilliseconds(500), $"DisposeAsync took {disposing.TotalMilliseconds:0} ms");
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task CallAfterAFailureFailsAtOnce(string failure)
    {
        await using var server = NeverClosingServer();
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port, new HftpClientOptions { ReadTimeout = TestTimeouts.Reply * 2 });
        await FailAsync(client, failure);

        var next = await Assert.ThrowsAsync<HftpConnectionException>(() => client.GetSizeAsync("f")).WaitAsync(TestTimeouts.Reply);

        Assert.Contains("earlier failure", next.Message, StringComparison.Ordinal);
        Assert.Single(server.Connections[0].Requests);
    }

    private static async Task FailAsync(HftpClient client, string failure)
    {
        switch (failure)
        {
            case "size that is not a number":
                await Assert.ThrowsAsync<HftpProtocolException>(() => client.GetSizeAsync("f"));
                break;
            case "listing line too long":
                await Assert.ThrowsAsync<HftpProtocolException>(() => client.ListFilesAsync());
                break;
            case "cancelled while waiting":
                using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
                {
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetSizeAsync("silent", cancel.Token));
                }

                break;
            default:
                await Assert.ThrowsAsync<HftpProtocolException>(() => client.ReadSliceAsync("f", 0, 3, Stream.Null));
                break;
        }
    }

    // Answers the first request badly (or not at all), then reads and records requests, answering none and never closing.
    private static ScriptedServer NeverClosingServer() => ScriptedServer.Start(async connection =>
    {
        var request = await connection.ReadRequestAsync();
        var reply = request switch
        {
            "get_metadata f" => StatusCode.Ok.StatusLineText() + "12 bytes\r\n",
            "get_file_listing" => StatusCode.Ok.StatusLineText() + new string('a', 20_000),
            "get_slice f 0 3" => Replies.Base64Slice("QU JD"),
            _ => string.Empty,
        };
        await connection.SendAsync(reply);
        await connection.IgnoreRequestsAsync();
    });
}
