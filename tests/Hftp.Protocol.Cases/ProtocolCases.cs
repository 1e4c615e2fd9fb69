using System.Text;
using Hftp.Protocol;

namespace Hftp.Protocol.Cases;

/// <summary>
/// The one table of cases built from PROTOCOL.md's decisions, used by the parser tests (bytes fed to
/// <see cref="RequestReader"/>) and by the socket tests (bytes sent to a real server).
/// </summary>
public static class ProtocolCases
{
    /// <summary>The file the table's rows ask for; served by the socket tests with this content.</summary>
    public const string SampleFile = "sample.txt";

    public const string SampleContent = "0123456789";

    public static IReadOnlyList<ProtocolCase> All { get; } =
    [
        Case("bare LF at end of line", "quit\n", StatusCode.BadEol),
        Case("bare LF inside a line", "qui\nt\r\n", StatusCode.BadEol),
        Case("bare LF alone", "\n", StatusCode.BadEol),
        Case("CR not followed by LF", "qu\rit\r\n", StatusCode.BadRequest),
        Case("CR CR LF", "\r\r\n", StatusCode.BadRequest),
        Case("CR then space", "quit\r \r\n", StatusCode.BadRequest),
        Case("non-ASCII byte in command", "quit\xff\r\n", StatusCode.BadRequest),
        Case("non-ASCII byte in file name", "get_metadata sa\xf1mple\r\n", StatusCode.BadRequest),
        Case("empty line", "\r\n", StatusCode.BadRequest),
        Case("line of spaces only", "   \r\n", StatusCode.BadRequest),
        Case("line of more spaces than elements", "          \r\n", StatusCode.BadRequest),
        Case("unknown command", "verdura\r\n", StatusCode.NoSuchCommand),
        Case("command in upper case", "QUIT\r\n", StatusCode.NoSuchCommand),
        Case("command with a prefix of a real one", "get_slic sample.txt 0 1\r\n", StatusCode.NoSuchCommand),
        Case("command longer than any command", "get_file_listing_now\r\n", StatusCode.NoSuchCommand),
        Case("leading space", " quit\r\n", StatusCode.NoSuchCommand),
        Case("only a space", " \r\n", StatusCode.BadRequest),
        Case("trailing space after quit", "quit \r\n", StatusCode.InvalidArguments),
        Case("double space before argument", "get_metadata  sample.txt\r\n", StatusCode.InvalidArguments),
        Case("trailing space after argument", "get_metadata sample.txt \r\n", StatusCode.InvalidArguments),
        Case("quit with arguments", "quit passing extra arguments!\r\n", StatusCode.InvalidArguments),
        Case("listing with an argument", "get_file_listing sample.txt\r\n", StatusCode.InvalidArguments),
        Case("metadata without argument", "get_metadata\r\n", StatusCode.InvalidArguments),
        Case("metadata with two arguments", "get_metadata sample.txt sample.txt\r\n", StatusCode.InvalidArguments),
        Case("slice with letters for numbers", "get_slice bar x x\r\n", StatusCode.InvalidArguments),
        Case("slice with two arguments", "get_slice sample.txt 0\r\n", StatusCode.InvalidArguments),
        Case("slice with four arguments", "get_slice sample.txt 0 1 2\r\n", StatusCode.InvalidArguments),
        Case("raw misspelt", "get_slice sample.txt 0 1 rawx\r\n", StatusCode.InvalidArguments),
        Case("raw in upper case", "get_slice sample.txt 0 1 RAW\r\n", StatusCode.InvalidArguments),
        Case("raw cut short", "get_slice sample.txt 0 1 ra\r\n", StatusCode.InvalidArguments),
        Case("raw then a fifth argument", "get_slice sample.txt 0 1 raw x\r\n", StatusCode.InvalidArguments),
        Case("raw twice", "get_slice sample.txt 0 1 raw raw\r\n", StatusCode.InvalidArguments),
        Case("raw after a trailing space", "get_slice sample.txt 0 1 raw \r\n", StatusCode.InvalidArguments),
        Case("raw in place of the size", "get_slice sample.txt 0 raw\r\n", StatusCode.InvalidArguments),
        Case("raw on get_metadata", "get_metadata sample.txt raw\r\n", StatusCode.InvalidArguments),
        Case("raw misspelt wins over missing file", "get_slice nope.txt 0 1 RAW\r\n", StatusCode.InvalidArguments),
        Case("raw misspelt wins over bad range", "get_slice sample.txt 99 99 rawx\r\n", StatusCode.InvalidArguments),
        Case("raw with a missing file", "get_slice nope.txt 0 1 raw\r\n", StatusCode.FileNotFound),
        Case("raw past the end", "get_slice sample.txt 0 11 raw\r\n", StatusCode.OffsetExceedsFileSize),
        Case("raw offset beyond 64 bits", "get_slice sample.txt 99999999999999999999999 1 raw\r\n", StatusCode.OffsetExceedsFileSize),
        Case("help with an argument", "help x\r\n", StatusCode.InvalidArguments),
        Case("help with a trailing space", "help \r\n", StatusCode.InvalidArguments),
        Case("help in upper case", "HELP\r\n", StatusCode.NoSuchCommand),
        Case("slice with a negative offset", "get_slice sample.txt -1 2\r\n", StatusCode.InvalidArguments),
        Case("slice with a plus sign", "get_slice sample.txt +1 2\r\n", StatusCode.InvalidArguments),
        Case("slice with a hexadecimal size", "get_slice sample.txt 0 0x2\r\n", StatusCode.InvalidArguments),
        Case("file name with a slash", "get_metadata ../sample.txt\r\n", StatusCode.InvalidArguments),
        Case("file name with a tab", "get_metadata sample\t.txt\r\n", StatusCode.InvalidArguments),
        Case("file name with a NUL", "get_metadata sample\0.txt\r\n", StatusCode.InvalidArguments),
        Case("file name with a star", "get_metadata *\r\n", StatusCode.InvalidArguments),
        Case("bad arguments win over missing file", "get_slice nope.txt x 1\r\n", StatusCode.InvalidArguments),
        Case("missing file", "get_metadata does_not_exist\r\n", StatusCode.FileNotFound),
        Case("dot", "get_metadata .\r\n", StatusCode.FileNotFound),
        Case("dot dot", "get_metadata ..\r\n", StatusCode.FileNotFound),
        Case("slice of dot dot", "get_slice .. 0 1\r\n", StatusCode.FileNotFound),
        Case("name longer than any file name", "get_metadata " + new string('x', 300) + "\r\n", StatusCode.FileNotFound),
        Case("missing file wins over bad range", "get_slice nope.txt 99 99\r\n", StatusCode.FileNotFound),
        Case("slice one past the end", "get_slice sample.txt 0 11\r\n", StatusCode.OffsetExceedsFileSize),
        Case("slice shifted one past the end", "get_slice sample.txt 1 10\r\n", StatusCode.OffsetExceedsFileSize),
        Case("offset past the end with size 0", "get_slice sample.txt 11 0\r\n", StatusCode.OffsetExceedsFileSize),
        Case("offset beyond 64 bits", "get_slice sample.txt 99999999999999999999999 1\r\n", StatusCode.OffsetExceedsFileSize),
        Case("size beyond 64 bits", "get_slice sample.txt 0 18446744073709551616\r\n", StatusCode.OffsetExceedsFileSize),
        Case("offset plus size overflowing", "get_slice sample.txt 1 18446744073709551615\r\n", StatusCode.OffsetExceedsFileSize),
        Case("offset plus size overflowing signed", "get_slice sample.txt 9223372036854775807 9223372036854775807\r\n", StatusCode.OffsetExceedsFileSize),
        Case("listing", "get_file_listing\r\n", StatusCode.Ok),
        Case("metadata", "get_metadata sample.txt\r\n", StatusCode.Ok),
        Case("whole slice", "get_slice sample.txt 0 10\r\n", StatusCode.Ok),
        Case("empty slice at the end", "get_slice sample.txt 10 0\r\n", StatusCode.Ok),
        Case("leading zeros", "get_slice sample.txt 0003 007\r\n", StatusCode.Ok),
        Case("raw whole slice", "get_slice sample.txt 0 10 raw\r\n", StatusCode.Ok),
        Case("raw empty slice at the end", "get_slice sample.txt 10 0 raw\r\n", StatusCode.Ok),
        Case("help", "help\r\n", StatusCode.Ok),
        Case("quit", "quit\r\n", StatusCode.Ok),
    ];

    /// <summary>The rows' names, as xunit member data: a name serializes, so each row is its own test.</summary>
    public static IEnumerable<object[]> Names() => All.Select(protocolCase => new object[] { protocolCase.Name });

    public static ProtocolCase Named(string name) => All.Single(protocolCase => protocolCase.Name == name);

    // Latin-1 keeps every char below 256 as one byte, so "\xff" in a row is the byte 0xFF on the wire.
    private static ProtocolCase Case(string name, string request, StatusCode expected) =>
        new(name, Encoding.Latin1.GetBytes(request), expected);
}
