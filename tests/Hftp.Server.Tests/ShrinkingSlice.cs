using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>A large slice whose file is truncated under the server once its reply began.</summary>
internal static class ShrinkingSlice
{
    /// <summary>
    /// Asks for all <paramref name="size"/> bytes of the sparse file <paramref name="name"/>, reads the status line and a
    /// little, truncates the file, and expects the connection to close before a whole line: never other bytes.
    /// </summary>
    public static async Task ExpectCutShortAsync(TestServer server, string name, long size)
    {
        using var client = server.Connect();
        await client.SendAsync(Requests.GetSlice(name, 0, size));
        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        await client.ReadExactlyAsync(1024);

        // The server is blocked on a full socket well before the end; truncate under it.
        using (var file = new FileStream(server.PathOf(name), FileMode.Open, FileAccess.Write))
        {
            file.SetLength(0);
        }

        var ended = await Assert.ThrowsAsync<EndOfStreamException>(
            () => client.ReadExactlyAsync(Base64Reply.LineLength(size), TestTimeouts.Transfer));
        Assert.Contains("Connection closed after", ended.Message, StringComparison.Ordinal);
    }
}
