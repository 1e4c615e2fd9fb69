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

        await client.SendAsync("get_file_listing\r\n");

        await client.ExpectAsync("0 OK\r\na.txt\r\nb.txt\r\n\r\n");
    }

    [Fact]
    public async Task ListingOfAnEmptyDirectoryIsJustTheEmptyLine()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\n");

        await client.ExpectAsync("0 OK\r\n\r\n");
    }

    [Fact]
    public async Task MetadataIsTheSizeInDecimal()
    {
        using var server = TestServer.Start();
        server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");
        using var client = server.Connect();

        await client.SendAsync("get_metadata archivo.txt\r\n");

        await client.ExpectAsync("0 OK\r\n41\r\n");
    }

    [Fact]
    public async Task SliceOfTheLabStatementExampleIsExact()
    {
        using var server = TestServer.Start();
        server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");
        using var client = server.Connect();

        await client.SendAsync("get_slice archivo.txt 5 20\r\n");

        await client.ExpectAsync("0 OK\r\nY2Fsb3IgcXVlIGhhY2UgaG95LCA=\r\n");
    }

    [Fact]
    public async Task MetadataSeesAFileChangeBetweenRequests()
    {
        using var server = TestServer.Start();
        server.WriteFile("grows.txt", "ab");
        using var client = server.Connect();
        await client.SendAsync("get_metadata grows.txt\r\nget_metadata grows.txt\r\n");
        await client.ExpectAsync("0 OK\r\n2\r\n0 OK\r\n2\r\n");

        server.WriteFile("grows.txt", "abcde");
        await client.SendAsync("get_metadata grows.txt\r\n");
        await client.ExpectAsync("0 OK\r\n5\r\n");

        File.Delete(server.PathOf("grows.txt"));
        await client.SendAsync("get_metadata grows.txt\r\n");
        await client.ExpectAsync("202 FILE NOT FOUND\r\n");
    }

    [Fact]
    public async Task EmptySliceIsAnEmptyLine()
    {
        using var server = TestServer.Start();
        server.WriteFile("a.txt", "abc");
        using var client = server.Connect();

        await client.SendAsync("get_slice a.txt 1 0\r\n");

        await client.ExpectAsync("0 OK\r\n\r\n");
    }

    [Fact]
    public async Task SliceWithNulAndHighBytesIsByteExact()
    {
        using var server = TestServer.Start();
        var content = new byte[] { 0, 0, 1, 0, 255, 254, 13, 10, 0, 128, 0 };
        server.WriteFile("nul.bin", content);
        using var client = server.Connect();

        await client.SendAsync($"get_slice nul.bin 0 {content.Length}\r\n");

        await client.ExpectAsync("0 OK\r\n");
        Assert.Equal(content, await Base64Reply.ReadSliceBodyAsync(client, content.Length));
    }

    [Fact]
    public async Task SliceBase64IsTheStandardAlphabetWithPadding()
    {
        using var server = TestServer.Start();
        server.WriteFile("pad.bin", [0xFB, 0xFF, 0xBF, 0xFE]);
        using var client = server.Connect();

        await client.SendAsync("get_slice pad.bin 0 4\r\nget_slice pad.bin 0 2\r\n");

        await client.ExpectAsync("0 OK\r\n+/+//g==\r\n0 OK\r\n+/8=\r\n");
    }

    [Fact]
    public async Task SlicePastTheEndIs203EitherWay()
    {
        using var server = TestServer.Start();
        server.WriteFile("ten.txt", "0123456789");
        using var client = server.Connect();
        var offsetExceeds = Encoding.ASCII.GetString(StatusCode.OffsetExceedsFileSize.StatusLine());

        await client.SendAsync("get_slice ten.txt 0 11\r\nget_slice ten.txt 1 10\r\nget_slice ten.txt 0 10\r\n");

        await client.ExpectAsync(offsetExceeds + offsetExceeds + "0 OK\r\nMDEyMzQ1Njc4OQ==\r\n");
    }

    [Fact]
    public async Task QuitIsAnsweredThenTheConnectionClosesWithinHalfASecond()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync("quit\r\n");

        await client.ExpectAsync("0 OK\r\n");
        await client.ExpectClosedAsync(TimeSpan.FromSeconds(0.5));
    }

    [Fact]
    public async Task QuitSentOneByteAtATimeIsStillAnswered()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        foreach (var character in "quit\r\n")
        {
            await client.SendAsync(character.ToString());
            await Task.Delay(50); // each byte in its own segment, as the course suite sends it
        }

        await client.ExpectAsync("0 OK\r\n");
        await client.ExpectClosedAsync(TimeSpan.FromSeconds(0.5));
    }

    [Fact]
    public async Task BareLineFeedsAnswer100AndClose()
    {
        using var server = TestServer.Start();
        using var client = server.Connect();

        await client.SendAsync("qui\nt\n");
        await client.ExpectAsync("100 BAD EOL\r\n");
        await client.SendAsync("\r\n");

        await client.ExpectClosedAsync(TimeSpan.FromSeconds(2));
        Assert.True(server.Log.Contains(Serilog.Events.LogEventLevel.Warning, "BAD EOL"));
    }

    [Fact]
    public async Task TwoListingsInOneSendAreBothAnswered()
    {
        using var server = TestServer.Start();
        server.WriteFile("x", "1");
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_file_listing\r\n");

        await client.ExpectAsync("0 OK\r\nx\r\n\r\n0 OK\r\nx\r\n\r\n");
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "hello");
        using var client = server.Connect();

        await client.SendAsync("get_metadata f\r\nnope\r\nget_slice f 0 5\r\nget_metadata g\r\nget_slice f 5 1\r\nquit\r\n");

        await client.ExpectAsync(
            "0 OK\r\n5\r\n200 NO SUCH COMMAND\r\n0 OK\r\naGVsbG8=\r\n202 FILE NOT FOUND\r\n203 OFFSET EXCEEDS FILE SIZE\r\n0 OK\r\n");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task FatalRequestDiscardsWhatWasPipelinedAfterIt()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "hello");
        using var client = server.Connect();

        await client.SendAsync("get_metadata f\r\nqu\rit\r\nget_metadata f\r\nget_metadata f\r\n");

        await client.ExpectAsync("0 OK\r\n5\r\n101 BAD REQUEST\r\n");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task LineOverTheLimitIs101WithoutWaitingForItsEnd()
    {
        using var server = TestServer.Start(options => options with { MaxRequestLineLength = 1024 });
        using var client = server.Connect();

        await client.SendAsync(new string('a', 2000));

        await client.ExpectAsync("101 BAD REQUEST\r\n");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task FiveMebibyteFileNameIs202AndTheConnectionGoesOn()
    {
        using var server = TestServer.Start();
        server.WriteFile("f", "hello");
        using var client = server.Connect();

        var sending = client.SendAsync("get_metadata " + new string('x', 5 * 1024 * 1024) + "\r\n");
        await client.ExpectAsync("202 FILE NOT FOUND\r\n");
        await sending;
        await client.SendAsync("get_metadata f\r\n");

        await client.ExpectAsync("0 OK\r\n5\r\n");
    }
}
