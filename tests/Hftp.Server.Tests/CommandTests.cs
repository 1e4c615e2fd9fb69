using System.Text;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class CommandTests : IDisposable
{
    // Each test gets a fresh instance, so a fresh server and served directory of its own.
    private readonly TestServer _server = TestServer.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task ListingNamesEveryFileThenAnEmptyLine()
    {
        using var client = ConnectServing(("b.txt", "b"), ("a.txt", "a"));

        await client.SendAsync(Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing("a.txt", "b.txt"));
    }

    [Fact]
    public async Task ListingOfAnEmptyDirectoryIsJustTheEmptyLine()
    {
        using var client = _server.Connect();

        await client.SendAsync(Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing());
    }

    [Fact]
    public async Task MetadataIsTheSizeInDecimal()
    {
        using var client = ConnectServing(("archivo.txt", "!Que calor que hace hoy, pinta una birra!"));

        await client.SendAsync(Requests.GetMetadata("archivo.txt"));

        await client.ExpectAsync(Replies.Size(41));
    }

    [Fact]
    public async Task SliceOfTheLabStatementExampleIsExact()
    {
        using var client = ConnectServing(("archivo.txt", "!Que calor que hace hoy, pinta una birra!"));

        await client.SendAsync(Requests.GetSlice("archivo.txt", 5, 20));

        await client.ExpectAsync(Replies.Base64Slice("Y2Fsb3IgcXVlIGhhY2UgaG95LCA="));
    }

    [Fact]
    public async Task MetadataSeesAFileChangeBetweenRequests()
    {
        using var client = ConnectServing(("grows.txt", "ab"));
        await client.SendAsync(Requests.GetMetadata("grows.txt") + Requests.GetMetadata("grows.txt"));
        await client.ExpectAsync(Replies.Size(2) + Replies.Size(2));

        _server.WriteFile("grows.txt", "abcde");
        await client.SendAsync(Requests.GetMetadata("grows.txt"));
        await client.ExpectAsync(Replies.Size(5));

        File.Delete(_server.PathOf("grows.txt"));
        await client.SendAsync(Requests.GetMetadata("grows.txt"));
        await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText());
    }

    [Fact]
    public async Task EmptySliceIsAnEmptyLine()
    {
        using var client = ConnectServing(("a.txt", "abc"));

        await client.SendAsync(Requests.GetSlice("a.txt", 1, 0));

        await client.ExpectAsync(Replies.Base64Slice(string.Empty));
    }

    [Fact]
    public async Task SliceWithNulAndHighBytesIsByteExact()
    {
        var content = new byte[] { 0, 0, 1, 0, 255, 254, 13, 10, 0, 128, 0 };
        using var client = ConnectServing("nul.bin", content);

        await client.SendAsync(Requests.GetSlice("nul.bin", 0, content.Length));

        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        Assert.Equal(content, await Base64Reply.ReadSliceBodyAsync(client, content.Length));
    }

    [Fact]
    public async Task SliceBase64IsTheStandardAlphabetWithPadding()
    {
        using var client = ConnectServing("pad.bin", [0xFB, 0xFF, 0xBF, 0xFE]);

        await client.SendAsync(Requests.GetSlice("pad.bin", 0, 4) + Requests.GetSlice("pad.bin", 0, 2));

        await client.ExpectAsync(Replies.Base64Slice("+/+//g==") + Replies.Base64Slice("+/8="));
    }

    [Fact]
    public async Task SlicePastTheEndIs203EitherWay()
    {
        using var client = ConnectServing(("ten.txt", "0123456789"));
        var offsetExceeds = Encoding.ASCII.GetString(StatusCode.OffsetExceedsFileSize.StatusLine());

        await client.SendAsync(Requests.GetSlice("ten.txt", 0, 11) + Requests.GetSlice("ten.txt", 1, 10) + Requests.GetSlice("ten.txt", 0, 10));

        await client.ExpectAsync(offsetExceeds + offsetExceeds + Replies.Base64Slice("MDEyMzQ1Njc4OQ=="));
    }

    [Fact]
    public async Task QuitIsAnsweredThenTheConnectionClosesWithinHalfASecond()
    {
        using var client = _server.Connect();

        await client.SendAsync(Requests.Quit);

        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        await client.ExpectClosedAsync(TimeSpan.FromSeconds(0.5));
    }

    [Fact]
    public async Task QuitSentOneByteAtATimeIsStillAnswered()
    {
        using var client = _server.Connect();

        foreach (var character in Requests.Quit)
        {
            await client.SendAsync(character.ToString());
            await Task.Delay(50); // each byte in its own segment, as the course suite sends it
        }

        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        await client.ExpectClosedAsync(TimeSpan.FromSeconds(0.5));
    }

    [Fact]
    public async Task BareLineFeedsAnswer100AndClose()
    {
        using var client = _server.Connect();

        await client.SendAsync("qui\nt\n");
        await client.ExpectAsync(StatusCode.BadEol.StatusLineText());
        await client.SendAsync("\r\n");

        await client.ExpectClosedAsync(TestTimeouts.Reply);
        Assert.True(_server.Log.Contains(Serilog.Events.LogEventLevel.Warning, "BAD EOL"));
    }

    [Fact]
    public async Task TwoListingsInOneSendAreBothAnswered()
    {
        using var client = ConnectServing(("x", "1"));

        await client.SendAsync(Requests.GetFileListing + Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing("x") + Replies.Listing("x"));
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        using var client = ConnectServing(("f", "hello"));

        await client.SendAsync(
            Requests.GetMetadata("f") + Requests.Line("nope") + Requests.GetSlice("f", 0, 5) + Requests.GetMetadata("g") + Requests.GetSlice("f", 5, 1) + Requests.Quit);

        await client.ExpectAsync(
            Replies.Size(5) + StatusCode.NoSuchCommand.StatusLineText() + Replies.Base64Slice("aGVsbG8=") + StatusCode.FileNotFound.StatusLineText() + StatusCode.OffsetExceedsFileSize.StatusLineText() + StatusCode.Ok.StatusLineText());
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task FatalRequestDiscardsWhatWasPipelinedAfterIt()
    {
        using var client = ConnectServing(("f", "hello"));

        await client.SendAsync(Requests.GetMetadata("f") + "qu\rit\r\n" + Requests.GetMetadata("f") + Requests.GetMetadata("f"));

        await client.ExpectAsync(Replies.Size(5) + StatusCode.BadRequest.StatusLineText());
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task LineOverTheLimitIs101WithoutWaitingForItsEnd()
    {
        using var server = TestServer.Start(options => options with { MaxRequestLineLength = 1024 });
        using var client = server.Connect();

        await client.SendAsync(new string('a', 2000));

        await client.ExpectAsync(StatusCode.BadRequest.StatusLineText());
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task FiveMebibyteFileNameIs202AndTheConnectionGoesOn()
    {
        using var client = ConnectServing(("f", "hello"));

        var sending = client.SendAsync(Requests.GetMetadata(new string('x', 5 * 1024 * 1024)));
        await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText());
        await sending;
        await client.SendAsync(Requests.GetMetadata("f"));

        await client.ExpectAsync(Replies.Size(5));
    }

    // A connection to this test's server, once it serves the given files.
    private RawClient ConnectServing(params (string Name, string Content)[] files)
    {
        foreach (var (name, content) in files)
        {
            _server.WriteFile(name, content);
        }

        return _server.Connect();
    }

    private RawClient ConnectServing(string name, byte[] content)
    {
        _server.WriteFile(name, content);
        return _server.Connect();
    }
}
