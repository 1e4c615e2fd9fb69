using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// Within one receive the server looks a name's size up once: each reply is still the right one for its own
/// request, and no size outlives the requests it arrived with.
/// </summary>
public sealed class PipelinedMetadataTests
{
    [Fact]
    public async Task EachPipelinedRequestGetsItsOwnFilesSize()
    {
        using var server = TestServer.Start();
        server.WriteFile("a", "x");
        server.WriteFile("b", "yyy");
        var longName = new string('n', 300); // longer than a batch remembers, and than a file system allows
        using var client = server.Connect();

        await client.SendAsync(string.Concat(
            Requests.GetMetadata("a"), Requests.GetMetadata("b"), Requests.GetMetadata("a"), Requests.GetMetadata("missing"),
            Requests.GetMetadata("a"), Requests.GetMetadata(longName), Requests.GetMetadata(longName), Requests.GetMetadata("missing")));

        await client.ExpectAsync(string.Concat(
            Replies.Size(1), Replies.Size(3), Replies.Size(1), StatusCode.FileNotFound.StatusLineText(),
            Replies.Size(1), StatusCode.FileNotFound.StatusLineText(), StatusCode.FileNotFound.StatusLineText(),
            StatusCode.FileNotFound.StatusLineText()));
    }

    [Fact]
    public async Task ASizeIsLookedUpAgainForTheNextRequests()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "x");
        using var client = server.Connect();
        await client.SendAsync(Requests.GetMetadata("f"));
        await client.ExpectAsync(Replies.Size(1));

        server.WriteFile("f", "12345");
        await client.SendAsync(Requests.GetMetadata("f") + Requests.GetMetadata("f"));
        await client.ExpectAsync(Replies.Size(5) + Replies.Size(5));

        File.Delete(server.PathOf("f"));
        await client.SendAsync(Requests.GetMetadata("f"));
        await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText());
    }

    [Fact]
    public async Task ASliceOfAnotherFileBetweenTwoMetadataLeavesEachItsOwnSize()
    {
        using var server = TestServer.Start();
        server.WriteFile("a", "x");
        server.WriteFile("b", "yyy");
        using var client = server.Connect();

        await client.SendAsync(string.Concat(
            Requests.GetMetadata("a"), Requests.GetSlice("b", 0, 1), Requests.GetMetadata("b"), Requests.GetMetadata("a")));

        await client.ExpectAsync(string.Concat(Replies.Size(1), Replies.Slice("y"u8), Replies.Size(3), Replies.Size(1)));
    }

    [Fact]
    public async Task ASliceOfTheSameFileDoesNotCarryItsSizeIntoTheNextBatch()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "x");
        using var client = server.Connect();
        await client.SendAsync(Requests.GetMetadata("f") + Requests.GetMetadata("f"));
        await client.ExpectAsync(Replies.Size(1) + Replies.Size(1));

        server.WriteFile("f", "12345");
        await client.SendAsync(Requests.GetSlice("f", 0, 5) + Requests.GetMetadata("f"));
        await client.ExpectAsync(Replies.Slice("12345"u8) + Replies.Size(5));
    }
}
