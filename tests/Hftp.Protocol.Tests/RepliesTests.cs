using System.Text;
using Hftp.Protocol;

namespace Hftp.Protocol.Tests;

/// <summary>Reply shapes and the status-line parser against PROTOCOL.md's text, spelled out here on purpose.</summary>
public sealed class RepliesTests
{
    [Fact]
    public void ListingIsOkThenOneNamePerLineThenAnEmptyLine()
    {
        Assert.Equal("0 OK\r\na.txt\r\nb.txt\r\n\r\n", Replies.Listing("a.txt", "b.txt"));
        Assert.Equal("0 OK\r\n\r\n", Replies.Listing());
    }

    [Fact]
    public void SizeIsOkThenDecimal() => Assert.Equal("0 OK\r\n41\r\n", Replies.Size(41));

    [Fact]
    public void SliceIsTheLabStatementExample()
    {
        var content = Encoding.ASCII.GetBytes("calor que hace hoy, ");

        Assert.Equal("0 OK\r\nY2Fsb3IgcXVlIGhhY2UgaG95LCA=\r\n", Replies.Slice(content));
        Assert.Equal("0 OK\r\nY2Fsb3IgcXVlIGhhY2UgaG95LCA=\r\n", Encoding.ASCII.GetString(Replies.SliceBytes(content)));
        Assert.Equal("0 OK\r\n\r\n", Replies.Slice([]));
    }

    [Fact]
    public void StatusLineTextIsTheStatusLineBytes()
    {
        foreach (var code in StatusCodes.Values)
        {
            Assert.Equal(Encoding.ASCII.GetString(code.StatusLine()), code.StatusLineText());
        }
    }

    [Theory]
    [InlineData("0 OK", StatusCode.Ok, "OK")]
    [InlineData("202 FILE NOT FOUND", StatusCode.FileNotFound, "FILE NOT FOUND")]
    [InlineData("101 BAD REQUEST", StatusCode.BadRequest, "BAD REQUEST")]
    [InlineData("203 past the end, says another server", StatusCode.OffsetExceedsFileSize, "past the end, says another server")]
    [InlineData("200 ", StatusCode.NoSuchCommand, "")]
    public void StatusLineParsesToItsCodeAndTheMessageAsSent(string line, StatusCode code, string message)
    {
        Assert.True(Replies.TryParseStatusLine(Encoding.ASCII.GetBytes(line), out var status, out var sent));

        Assert.Equal(code, status);
        Assert.Equal(message, Encoding.ASCII.GetString(sent));
    }

    [Theory]
    [InlineData("150 NOT IN THE TABLE")]
    [InlineData("OK")]
    [InlineData("0")]
    [InlineData(" 0 OK")]
    [InlineData("0x0 OK")]
    [InlineData("-1 OK")]
    [InlineData("99999999999 OK")]
    [InlineData("0 O\tK")]
    [InlineData("HTTP/1.1 400 Bad Request")]
    [InlineData("")]
    public void NotAStatusLineOfTheTableIsRefused(string line) =>
        Assert.False(Replies.TryParseStatusLine(Encoding.ASCII.GetBytes(line), out _, out _));

    [Theory]
    [InlineData("", false, true)]
    [InlineData("20", false, true)]
    [InlineData("202 FILE", false, true)]
    [InlineData("0 OK\r", false, true)]
    [InlineData("0 OK", true, true)]
    [InlineData("0", true, false)]
    [InlineData("H", false, false)]
    [InlineData("<html>", false, false)]
    [InlineData("0 OK\n", false, false)]
    [InlineData(" 0 OK", false, false)]
    public void StatusLineShapeIsKnownFromTheFirstBytes(string received, bool isComplete, bool couldBe) =>
        Assert.Equal(couldBe, Replies.CouldBeStatusLine(Encoding.ASCII.GetBytes(received), isComplete));

    [Theory]
    [InlineData("41", true, 41L)]
    [InlineData("0", true, 0L)]
    [InlineData("-1", false, 0L)]
    [InlineData("+1", false, 0L)]
    [InlineData(" 1", false, 0L)]
    [InlineData("", false, 0L)]
    public void SizeLineIsDecimalDigitsOnly(string line, bool parses, long expected)
    {
        Assert.Equal(parses, Replies.TryParseSize(line, out var size));
        Assert.Equal(expected, size);
    }
}
