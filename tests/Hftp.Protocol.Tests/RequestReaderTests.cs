using System.Text;
using Hftp.Protocol;
using Hftp.Protocol.Cases;

namespace Hftp.Protocol.Tests;

public sealed class RequestReaderTests
{
    public static IEnumerable<object[]> CaseNames => ProtocolCases.Names();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EveryProtocolCaseGetsItsStatusInOneRead(string caseName)
    {
        var protocolCase = ProtocolCases.Named(caseName);

        var request = ReadOne(new RequestReader(), protocolCase.Request, out var consumed);

        Assert.Equal(protocolCase.ParserVerdict.Describe(), request.Status.Describe());
        Assert.Equal(ExpectedConsumed(protocolCase), consumed);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void OracleAgreesWithTheTable(string caseName)
    {
        var protocolCase = ProtocolCases.Named(caseName);

        var verdict = RequestOracle.Judge(protocolCase.Request);

        Assert.NotNull(verdict);
        Assert.Equal(protocolCase.ParserVerdict, verdict.Value.Request.Status);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EveryProtocolCaseGetsTheSameStatusOneByteAtATime(string caseName)
    {
        var protocolCase = ProtocolCases.Named(caseName);
        var reader = new RequestReader();
        StatusCode? status = null;

        // A fatal fault ends the line early; what follows it is never read.
        foreach (var value in protocolCase.Request)
        {
            if (reader.TryRead([value], out var consumed, out var completed))
            {
                Assert.Equal(1, consumed);
                status = completed.Status;
                break;
            }
        }

        Assert.NotNull(status);
        Assert.Equal(protocolCase.ParserVerdict, status.Value);
    }

    [Fact]
    public void SliceCarriesNameOffsetAndSize()
    {
        var request = ReadOne(new RequestReader(), "get_slice archivo.txt 5 20\r\n"u8.ToArray(), out _);

        Assert.Equal(new ParsedRequest(StatusCode.Ok, RequestFault.None, Command.GetSlice, "archivo.txt", 5, 20), ParsedRequest.Of(request));
    }

    [Fact]
    public void RawSliceCarriesNameOffsetSizeAndRaw()
    {
        var request = ReadOne(new RequestReader(), "get_slice archivo.txt 5 4294967296 raw\r\n"u8.ToArray(), out _);

        Assert.Equal(new ParsedRequest(StatusCode.Ok, RequestFault.None, Command.GetSlice, "archivo.txt", 5, 4294967296, IsRaw: true), ParsedRequest.Of(request));
    }

    [Fact]
    public void RawIsForgottenByTheNextLine()
    {
        var reader = new RequestReader();
        ReadOnlySpan<byte> input = "get_slice a 0 1 raw\r\nget_slice a 0 1\r\nget_slice a 0 1 raw\r\n"u8;
        var raw = new List<bool>();
        while (reader.TryRead(input, out var consumed, out var request))
        {
            raw.Add(request.IsRaw);
            input = input[consumed..];
        }

        Assert.Equal([true, false, true], raw);
    }

    [Fact]
    public void NumbersBeyondSixtyFourBitsSaturate()
    {
        var request = ReadOne(new RequestReader(), "get_slice a 18446744073709551615 99999999999999999999999\r\n"u8.ToArray(), out _);

        Assert.Equal(ulong.MaxValue, request.Offset);
        Assert.Equal(ulong.MaxValue, request.Size);
    }

    [Fact]
    public void PipelinedRequestsAreReadInOrder()
    {
        var reader = new RequestReader();
        ReadOnlySpan<byte> input = "get_file_listing\r\nget_metadata a\r\nquit\r\n"u8;
        var commands = new List<Command>();

        while (reader.TryRead(input, out var consumed, out var request))
        {
            commands.Add(request.Command);
            input = input[consumed..];
        }

        Assert.Equal([Command.GetFileListing, Command.GetMetadata, Command.Quit], commands);
        Assert.True(input.IsEmpty);
    }

    [Fact]
    public void FiveMebibyteFileNameIsWellFormedButTooLongToExist()
    {
        var reader = new RequestReader();
        Assert.False(reader.TryRead("get_metadata "u8, out _, out _));
        var chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
        for (var sent = 0; sent < 5 * 1024 * 1024; sent += chunk.Length)
        {
            Assert.False(reader.TryRead(chunk, out _, out _));
        }

        Assert.True(reader.TryRead("\r\n"u8, out _, out var request));
        Assert.Equal(StatusCode.Ok, request.Status);
        Assert.Equal(Command.GetMetadata, request.Command);
        Assert.True(request.FileNameTooLong);
        Assert.False(request.HasFileName);
        Assert.True(request.FileName.IsEmpty);
        Assert.Null(request.FileNameText);
    }

    [Fact]
    public void LongestPossibleFileNameIsKept()
    {
        var name = new string('n', Syntax.MaxFileNameLength);

        var request = ReadOne(new RequestReader(), Encoding.ASCII.GetBytes($"get_metadata {name}\r\n"), out _);

        Assert.False(request.FileNameTooLong);
        Assert.True(request.HasFileName);
        Assert.True(request.FileName.SequenceEqual(Encoding.ASCII.GetBytes(name)));
        Assert.Equal(name, request.FileNameText);
    }

    [Fact]
    public void LineOverTheLimitFaultsAsSoonAsTheLimitIsPassed()
    {
        var reader = new RequestReader(maxLineLength: 100);

        Assert.False(reader.TryRead(Enumerable.Repeat((byte)'a', 100).ToArray(), out _, out _));
        Assert.True(reader.TryRead("a"u8, out var consumed, out var request));

        Assert.Equal(1, consumed);
        Assert.Equal(RequestFault.LineTooLong, request.Fault);
        Assert.Equal(StatusCode.BadRequest, request.Status);
    }

    [Fact]
    public void LineExactlyAtTheLimitIsAccepted()
    {
        var reader = new RequestReader(maxLineLength: 4);

        var request = ReadOne(reader, "quit\r\n"u8.ToArray(), out _);

        Assert.Equal(StatusCode.Ok, request.Status);
    }

    [Fact]
    public void ReaderStartsAfreshAfterEachLine()
    {
        var reader = new RequestReader();
        ReadOne(reader, "get_slice a 1 2 3\r\n"u8.ToArray(), out _);

        var request = ReadOne(reader, "get_slice b 4 5\r\n"u8.ToArray(), out _);

        Assert.Equal(new ParsedRequest(StatusCode.Ok, RequestFault.None, Command.GetSlice, "b", 4, 5), ParsedRequest.Of(request));
    }

    [Fact]
    public void RepeatedFileNameIsReadRightAfterOtherNames()
    {
        // A longer name, then a shorter one, between the repeats: no byte of one name may show in another.
        var reader = new RequestReader();

        var first = ReadOne(reader, "get_metadata a.txt\r\n"u8.ToArray(), out _).FileNameText;
        var longer = ReadOne(reader, "get_slice much-longer-name.bin 0 1\r\n"u8.ToArray(), out _).FileNameText;
        var shorter = ReadOne(reader, "get_metadata b\r\n"u8.ToArray(), out _).FileNameText;
        var again = ReadOne(reader, "get_slice a.txt 0 1\r\n"u8.ToArray(), out _);

        Assert.Equal("a.txt", first);
        Assert.Equal("much-longer-name.bin", longer);
        Assert.Equal("b", shorter);
        Assert.True(again.FileName.SequenceEqual("a.txt"u8));
        Assert.Equal("a.txt", again.FileNameText);
    }

    [Fact]
    public void FileNameIsReadRightAfterManyOtherNames()
    {
        var reader = new RequestReader();
        Assert.Equal("a.txt", ReadOne(reader, "get_metadata a.txt\r\n"u8.ToArray(), out _).FileNameText);
        for (var i = 0; i < 100; i++)
        {
            var name = $"name{i}";
            Assert.Equal(name, ReadOne(reader, Encoding.ASCII.GetBytes($"get_metadata {name}\r\n"), out _).FileNameText);
        }

        var again = ReadOne(reader, "get_metadata a.txt\r\n"u8.ToArray(), out _);

        Assert.True(again.FileName.SequenceEqual("a.txt"u8));
        Assert.Equal("a.txt", again.FileNameText);
    }

    /// <summary>
    /// A line that keeps the connection is read to its end; a fatal one up to and including the byte that
    /// proves the fault (the \n of a bare LF, the byte after a stray \r, the non-ASCII byte), and no further.
    /// </summary>
    private static int ExpectedConsumed(ProtocolCase protocolCase)
    {
        // An empty line (2026: 101) is fatal, yet it is only known to be empty at its end.
        if (!protocolCase.Closes || protocolCase.Request.AsSpan().TrimStart((byte)' ').SequenceEqual("\r\n"u8))
        {
            return protocolCase.Request.Length;
        }

        var bytes = protocolCase.Request;
        for (var i = 0; i < bytes.Length; i++)
        {
            var afterCarriageReturn = i > 0 && bytes[i - 1] == '\r';
            if (bytes[i] >= 0x80 || (bytes[i] == '\n' && !afterCarriageReturn) || (afterCarriageReturn && bytes[i] != '\n'))
            {
                return i + 1;
            }
        }

        throw new InvalidOperationException($"{protocolCase.Name} closes, but has no faulty byte");
    }

    private static Request ReadOne(RequestReader reader, byte[] bytes, out int consumed)
    {
        Assert.True(reader.TryRead(bytes, out consumed, out var request), "the reader did not finish a request");
        return request;
    }
}
