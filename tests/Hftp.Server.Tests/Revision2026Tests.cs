using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>The 2026 revision's <c>help</c>, empty line and unreadable files, over the wire.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class Revision2026Tests
{
    [Fact]
    public async Task HelpListsTheFiveCommandsThenAnEmptyLine()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync("help\r\n");

        await client.ExpectAsync("0 OK\r\nget_file_listing\r\nget_metadata\r\nget_slice\r\nhelp\r\nquit\r\n\r\n");
    }

    [Fact]
    public async Task HelpPipelinedBetweenOtherRequestsIsAnsweredInItsPlace()
    {
        using var server = TestServer.Start();
        server.WriteFile("a.txt", "abc");
        using var client = server.Connect();

        await client.SendAsync("get_metadata a.txt\r\nhelp\r\nget_slice a.txt 0 3\r\nhelp x\r\nhelp\r\nget_file_listing\r\nquit\r\n");

        await client.ExpectAsync(Replies.Size(3) + Replies.Help() + Replies.Slice("abc"u8) + StatusCode.InvalidArguments.StatusLineText()
            + Replies.Help() + Replies.Listing("a.txt") + StatusCode.Ok.StatusLineText());
        await client.ExpectClosedAsync();
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData(" \r\n")]
    [InlineData("       \r\n")]
    public async Task EmptyLineIs101AndWhatWasPipelinedAfterItIsDiscarded(string emptyLine)
    {
        using var server = TestServer.Start();
        server.WriteFile("a.txt", "abc");
        using var client = server.Connect();

        await client.SendAsync("get_metadata a.txt\r\n" + emptyLine + "get_metadata a.txt\r\n");

        await client.ExpectAsync(Replies.Size(3) + StatusCode.BadRequest.StatusLineText());
        await client.ExpectClosedAsync();
    }

    // Mode 000 is unreadable whoever runs the server, root included (the test process may be root, as in CI).
    [Fact]
    public async Task FileOfModeZeroIsListedAndSizedAndItsSlicesAre199()
    {
        using var server = TestServer.Start();
        server.WriteFile("ok.txt", "ok");
        File.SetUnixFileMode(server.WriteFile("secret.txt", "no"), UnixFileMode.None);

        using (var client = server.Connect())
        {
            await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("secret.txt") + Requests.GetSlice("secret.txt", 0, 1) + Requests.GetMetadata("ok.txt"));
            await client.ExpectAsync(Replies.Listing("ok.txt", "secret.txt") + Replies.Size(2) + StatusCode.InternalServerError.StatusLineText());
            await client.ExpectClosedAsync();
        }

        using (var client = server.Connect())
        {
            await client.SendAsync(Requests.GetRawSlice("secret.txt", 0, 2));
            await client.ExpectAsync(StatusCode.InternalServerError.StatusLineText());
            await client.ExpectClosedAsync();
        }

        // Other clients are served as before.
        using var other = server.Connect();
        await other.SendAsync(Requests.GetSlice("ok.txt", 0, 2));
        await other.ExpectAsync(Replies.Slice("ok"u8));
    }

    [Fact]
    public async Task FileNotFoundAndInvalidArgumentsStillWinOverAnUnreadableFile()
    {
        using var server = TestServer.Start();
        File.SetUnixFileMode(server.WriteFile("secret.txt", "no"), UnixFileMode.None);
        using var client = server.Connect();

        await client.SendAsync("get_slice secret.txt 0 1 RAW\r\n" + Requests.GetSlice("nope.txt", 0, 1) + Requests.GetRawSlice("secret.txt", 0, 1));

        await client.ExpectAsync(StatusCode.InvalidArguments.StatusLineText() + StatusCode.FileNotFound.StatusLineText()
            + StatusCode.InternalServerError.StatusLineText());
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task ServedDirectoryOfModeZeroMakesTheListing199()
    {
        using var server = TestServer.Start();
        server.WriteFile("a.txt", "abc");
        var mode = File.GetUnixFileMode(server.Directory);
        File.SetUnixFileMode(server.Directory, UnixFileMode.None);
        try
        {
            using var client = server.Connect();
            await client.SendAsync(Requests.GetFileListing + Requests.GetFileListing);
            await client.ExpectAsync(StatusCode.InternalServerError.StatusLineText());
            await client.ExpectClosedAsync();
        }
        finally
        {
            File.SetUnixFileMode(server.Directory, mode);
        }
    }
}
