using System.Text;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

public sealed class CommandTests
{
    [Fact]
    public async Task ListingNamesEveryFileThenAnEmptyLine()
    {
        using var server = TestServer.Start();
        server.WriteFile("b.txt", "b");
        server.WriteFile("a.txt", "a");
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing("a.txt", "b.txt"));
    }

    [Fact]
    public async Task ListingOfAnEmptyDirectoryIsJustTheEmptyLine()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing());
    }

    [Fact]
    public async Task MetadataIsTheSizeInDecimal()
    {
        using var server = TestServer.Start();
        server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");
        using var client = server.Connect();

        await client.SendAsync(Requests.GetMetadata("archivo.txt"));

        await client.ExpectAsync(Replies.Size(41));
    }

    [Fact]
    public async Task SliceOfTheLabStatementExampleIsExact()
    {
        using var server = TestServer.Start();
        server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");
        using var client = server.Connect();

        await client.SendAsync(Requests.GetSlice("archivo.txt", 5, 20));

        await client.ExpectAsync(Replies.Base64Slice("Y2Fsb3IgcXVlIGhhY2UgaG95LCA="));
    }

    [Fact]
    public async Task MetadataSeesAFileChangeBetweenRequests()
    {
        using var server = TestServer.Start();
        server.WriteFile("grows.txt", "ab");
        using var client = server.Connect();
        await client.SendAsync(Requests.GetMetadata("grows.txt") + Requests.GetMetadata("grows.txt"));
        await client.ExpectAsync(Replies.Size(2) + Replies.Size(2));

        server.WriteFile("grows.txt", "abcde");
        await client.SendAsync(Requests.GetMetadata("grows.txt"));
        await client.ExpectAsync(Replies.Size(5));

        File.Delete(server.PathOf("grows.txt"));
        await client.SendAsync(Requests.GetMetadata("grows.txt"));
        await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText());
    }

    [Fact]
    public async Task EmptySliceIsAnEmptyLine()
    {
        using var server = TestServer.Start();
        server.WriteFile("a.txt", "abc");
        using var client = server.Connect();

        await client.SendAsync(Requests.GetSlice("a.txt", 1, 0));

        await client.ExpectAsync(Replies.Base64Slice(string.Empty));
    }

    [Fact]
    public async Task SliceWithNulAndHighBytesIsByteExact()
    {
        using var server = TestServer.Start();
        var content = new byte[] { 0, 0, 1, 0, 255, 254, 13, 10, 0, 128, 0 };
        server.WriteFile("nul.bin", content);
        using var client = server.Connect();

        await client.SendAsync(Requests.GetSlice("nul.bin", 0, content.Length));

        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        Assert.Equal(content, await Base64Reply.ReadSliceBodyAsync(client, content.Length));
    }

    [Fact]
    public async Task SliceBase64IsTheStandardAlphabetWithPadding()
    {
        using var server = TestServer.Start();
        server.WriteFile("pad.bin", [0xFB, 0xFF, 0xBF, 0xFE]);
        using var client = server.Connect();

        await client.SendAsync(Requests.GetSlice("pad.bin", 0, 4) + Requests.GetSlice("pad.bin", 0, 2));

        await client.ExpectAsync(Replies.Base64Slice("+/+//g==") + Replies.Base64Slice("+/8="));
    }

    [Fact]
    public async Task SlicePastTheEndIs203EitherWay()
    {
        using var server = TestServer.Start();
        server.WriteFile("ten.txt", "0123456789");
        using var client = server.Connect();
        var offsetExceeds = Encoding.ASCII.GetString(StatusCode.OffsetExceedsFileSize.StatusLine());

        await client.SendAsync(Requests.GetSlice("ten.txt", 0, 11) + Requests.GetSlice("ten.txt", 1, 10) + Requests.GetSlice("ten.txt", 0, 10));

        await client.ExpectAsync(offsetExceeds + offsetExceeds + Replies.Base64Slice("MDEyMzQ1Njc4OQ=="));
    }

    [Fact]
    public async Task QuitIsAnsweredThenTheConnectionClosesWithinHalfASecond()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync(Requests.Quit);

        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        await client.ExpectClosedAsync(TimeSpan.FromSeconds(0.5));
    }

    [Fact]
    public async Task QuitSentOneByteAtATimeIsStillAnswered()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

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
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync("qui\nt\n");
        await client.ExpectAsync(StatusCode.BadEol.StatusLineText());
        await client.SendAsync("\r\n");

        await client.ExpectClosedAsync(TestTimeouts.Reply);
        Assert.True(server.Log.Contains(Serilog.Events.LogEventLevel.Warning, "BAD EOL"));
    }

    [Fact]
    public async Task TwoListingsInOneSendAreBothAnswered()
    {
        using var server = TestServer.Start();
        server.WriteFile("x", "1");
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing + Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing("x") + Replies.Listing("x"));
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "hello");
        using var client = server.Connect();

        await client.SendAsync(
            Requests.GetMetadata("f") + Requests.Line("nope") + Requests.GetSlice("f", 0, 5) + Requests.GetMetadata("g") + Requests.GetSlice("f", 5, 1) + Requests.Quit);

        await client.ExpectAsync(
            Replies.Size(5) + StatusCode.NoSuchCommand.StatusLineText() + Replies.Base64Slice("aGVsbG8=") + StatusCode.FileNotFound.StatusLineText() + StatusCode.OffsetExceedsFileSize.StatusLineText() + StatusCode.Ok.StatusLineText());
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task FatalRequestDiscardsWhatWasPipelinedAfterIt()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "hello");
        using var client = server.Connect();

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
        using var server = TestServer.Start();
        server.WriteFile("f", "hello");
        using var client = server.Connect();

        var sending = client.SendAsync(Requests.GetMetadata(new string('x', 5 * 1024 * 1024)));
        await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText());
        await sending;
        await client.SendAsync(Requests.GetMetadata("f"));

        await client.ExpectAsync(Replies.Size(5));
    }
}
