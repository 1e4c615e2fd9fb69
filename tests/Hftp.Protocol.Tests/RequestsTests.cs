using System.Text;
using Hftp.Protocol;

namespace Hftp.Protocol.Tests;

/// <summary>
/// The request formatters against PROTOCOL.md's text, written out here on purpose: this is the one place outside
/// Hftp.Protocol where request lines are spelled by hand, so a slip in the formatters cannot hide behind itself.
/// </summary>
public sealed class RequestsTests
{
    [Fact]
    public void RequestsWithoutArgumentsAreTheCommandAndTheTerminator()
    {
        Assert.Equal("get_file_listing\r\n", Requests.GetFileListing);
        Assert.Equal("quit\r\n", Requests.Quit);
    }

    [Fact]
    public void MetadataRequestIsCommandSpaceNameTerminator() =>
        Assert.Equal("get_metadata archivo.txt\r\n", Requests.GetMetadata("archivo.txt"));

    [Fact]
    public void SliceRequestIsTheLabStatementExample() =>
        Assert.Equal("get_slice archivo.txt 5 20\r\n", Requests.GetSlice("archivo.txt", 5, 20));

    [Fact]
    public void SpanWritersWriteTheSameBytesAsTheStrings()
    {
        var buffer = new byte[Requests.MaxFormattedLength];

        Assert.True(Requests.TryWriteGetMetadata("archivo.txt", buffer, out var written));
        Assert.Equal("get_metadata archivo.txt\r\n", Encoding.ASCII.GetString(buffer, 0, written));

        Assert.True(Requests.TryWriteGetSlice("archivo.txt", long.MaxValue, long.MaxValue, buffer, out written));
        Assert.Equal("get_slice archivo.txt 9223372036854775807 9223372036854775807\r\n", Encoding.ASCII.GetString(buffer, 0, written));

        Assert.True(Requests.TryWrite(Command.Quit, buffer, out written));
        Assert.Equal("quit\r\n", Encoding.ASCII.GetString(buffer, 0, written));
    }

    [Fact]
    public void SpanWritersDoNotAllocate()
    {
        var buffer = new byte[Requests.MaxFormattedLength];
        Requests.TryWriteGetSlice("archivo.txt", 1, 2, buffer, out _); // first call: type initialisation, JIT
        Requests.TryWriteGetMetadata("archivo.txt", buffer, out _);
        Requests.TryWrite(Command.Quit, buffer, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var offset = 0L; offset < 1000; offset++)
        {
            Requests.TryWriteGetSlice("archivo.txt", offset, 65536, buffer, out _);
            Requests.TryWriteGetMetadata("archivo.txt", buffer, out _);
            Requests.TryWrite(Command.Quit, buffer, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void LongestRequestFitsMaxFormattedLength()
    {
        var buffer = new byte[Requests.MaxFormattedLength];

        Assert.True(Requests.TryWriteGetSlice(new string('x', Syntax.MaxFileNameLength), long.MaxValue, long.MaxValue, buffer, out _));
        Assert.False(Requests.TryWriteGetSlice("archivo.txt", 5, 20, buffer.AsSpan(0, 10), out _));
        Assert.False(Requests.TryWrite(Command.GetFileListing, buffer.AsSpan(0, 17), out _));
    }

    [Fact]
    public void WriterRefusesACommandThatTakesArguments() =>
        Assert.Throws<ArgumentException>(() => Requests.TryWrite(Command.GetSlice, new byte[64], out _));

    [Fact]
    public void FormattedRequestsParseBackToTheirCommandAndArguments()
    {
        var reader = new RequestReader();
        var bytes = Encoding.ASCII.GetBytes(Requests.GetSlice("archivo.txt", 5, 20) + Requests.GetMetadata("b") + Requests.GetFileListing + Requests.Quit);

        var requests = new List<ParsedRequest>();
        while (!bytes.AsSpan().IsEmpty && reader.TryRead(bytes, out var consumed, out var request))
        {
            requests.Add(ParsedRequest.Of(request));
            bytes = bytes[consumed..];
        }

        Assert.Equal(
            [
                new ParsedRequest(StatusCode.Ok, RequestFault.None, Command.GetSlice, "archivo.txt", 5, 20),
                new ParsedRequest(StatusCode.Ok, RequestFault.None, Command.GetMetadata, "b", 0, 0),
                new ParsedRequest(StatusCode.Ok, RequestFault.None, Command.GetFileListing, null, 0, 0),
                new ParsedRequest(StatusCode.Ok, RequestFault.None, Command.Quit, null, 0, 0),
            ],
            requests);
    }

    [Theory]
    [InlineData("get_file_listing", Command.GetFileListing)]
    [InlineData("get_metadata", Command.GetMetadata)]
    [InlineData("get_slice", Command.GetSlice)]
    [InlineData("quit", Command.Quit)]
    public void CommandTableNamesEveryCommandAsTextAndBytes(string name, Command command)
    {
        Assert.Equal(name, command.Name());
        Assert.Equal(name, Encoding.ASCII.GetString(command.Utf8Name()));
        Assert.True(Commands.TryParse(name, out var fromText));
        Assert.True(Commands.TryParse(Encoding.ASCII.GetBytes(name), out var fromBytes));
        Assert.Equal(command, fromText);
        Assert.Equal(command, fromBytes);
        Assert.Contains(command, Commands.All);
    }

    [Theory]
    [InlineData("quit", true, Command.Quit)]
    [InlineData("quit now", true, Command.Quit)]
    [InlineData("get_slice a 1 2", true, Command.GetSlice)]
    [InlineData("get_metadata", true, Command.GetMetadata)]
    [InlineData("QUIT", false, default(Command))]
    [InlineData(" quit", false, default(Command))]
    [InlineData("quit\tnow", false, default(Command))]
    [InlineData("", false, default(Command))]
    [InlineData("get_file_listings", false, default(Command))]
    [InlineData("quit\u00e9", false, default(Command))]
    [InlineData("get_metadata\u00e9 a", false, default(Command))]
    public void FirstElementIsTheCommandAsTheServerReadsIt(string line, bool isCommand, Command expected)
    {
        Assert.Equal(isCommand, Commands.TryParseFirstElement(line, out var command));
        Assert.Equal(expected, command);
    }
}
