using Hftp.Testing;

namespace Hftp.Client.Tests;

/// <summary>A peer whose first reply is not <c>DIGITS SPACE TEXT</c> is named for what it is: not an HFTP server.</summary>
public sealed class NotHftpServerTests
{
    // What an HTTP/1.x server sends back for "get_file_listing\r\n", and what Python's http.server sends
    // (an HTTP/0.9 error: the HTML page alone, \n line ends, then a close).
    private const string HttpOneOneAnswer =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    public static TheoryData<string> HttpAnswers =>
    [
        HttpOneOneAnswer,
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <title>Error response</title>\n    </head>\n</html>\n",
    ];

    [Theory]
    [MemberData(nameof(HttpAnswers))]
    public async Task HttpServerIsNamedNotAnHftpServer(string answer)
    {
        await using var server = ClosingAfter(answer);
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var failure = await Assert.ThrowsAsync<HftpProtocolException>(() => client.ListFilesAsync());

        Assert.Equal($"127.0.0.1:{server.Port} is not an HFTP server (it answered like an HTTP server)", failure.Message);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n")]
    [InlineData("+OK ready\r\n")]
    [InlineData("0OK\r\n")]
    [InlineData("0 OK\n")]
    public async Task OtherPeersAreNotHftpServersEither(string answer)
    {
        await using var server = ClosingAfter(answer);
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var failure = await Assert.ThrowsAsync<HftpProtocolException>(() => client.ListFilesAsync());

        Assert.StartsWith($"127.0.0.1:{server.Port} is not an HFTP server", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerThatClosesWithoutAWordIsSaidToHaveClosed()
    {
        await using var server = ClosingAfter(string.Empty);
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var failure = await Assert.ThrowsAsync<HftpConnectionException>(() => client.ListFilesAsync());

        Assert.Equal("The server closed the connection before replying", failure.Message);
    }

    private static ScriptedServer ClosingAfter(string answer) => ScriptedServer.Start(async connection =>
    {
        await connection.ReadRequestAsync();
        await connection.SendAsync(answer);
    });
}
