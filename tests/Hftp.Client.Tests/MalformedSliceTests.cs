using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Client.Tests;

/// <summary>
/// PROTOCOL.md wants the slice on one clean base64 line: standard alphabet, <c>=</c> padding only at the end,
/// whole blocks of four, then <c>\r\n</c>. Anything else is a protocol error, never a file saved as complete.
/// </summary>
public sealed class MalformedSliceTests
{
    [Theory]
    [InlineData("QU JD", 3)]
    [InlineData("QU\tJD", 3)]
    [InlineData(" QUJD", 3)]
    [InlineData("QUJD ", 3)]
    [InlineData("QU\nJD", 3)]
    [InlineData("QU\vJD", 3)]
    [InlineData("QU*D", 3)]
    [InlineData("QU-D", 3)]
    [InlineData("QU\xffJD", 3)]
    [InlineData("QU\0JD", 3)]
    [InlineData("Q=JD", 3)]
    [InlineData("=QUJ", 3)]
    [InlineData("QQ=A", 2)]
    [InlineData("QQ==QUJD", 4)]
    [InlineData("QQ===", 1)]
    [InlineData("QUJ", 2)]
    [InlineData("QUJDR", 3)]
    [InlineData("QUJD\rX", 3)]
    public async Task MalformedBase64IsAProtocolError(string line, int length)
    {
        await using var server = ServerReplying(line, length);
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        using var received = new MemoryStream();
        await Assert.ThrowsAsync<HftpProtocolException>(() => client.ReadSliceAsync("f", 0, length, received));
    }

    private static ScriptedServer ServerReplying(string base64Line, int length) => ScriptedServer.Answering(request =>
        request.StartsWith("get_metadata", StringComparison.Ordinal)
            ? Replies.Size(length)
            : Replies.Base64Slice(base64Line));
}
