namespace Hftp.Protocol;

/// <summary>The lexical rules of HFTP requests and the protocol's fixed numbers.</summary>
public static class Syntax
{
    public const string LineTerminatorText = "\r\n";

    public const byte CarriageReturn = (byte)'\r';

    public const byte LineFeed = (byte)'\n';

    public const byte Space = (byte)' ';

    /// <summary>Default request-line limit (PROTOCOL.md): past it the request is 101 BAD REQUEST.</summary>
    public const long DefaultMaxRequestLineLength = 16 * 1024 * 1024;

    /// <summary>
    /// Longest file name a served directory can hold (Linux NAME_MAX). A longer name of valid characters
    /// is well-formed but names no file, so only this much of it is ever kept.
    /// </summary>
    public const int MaxFileNameLength = 255;

    public static ReadOnlySpan<byte> LineTerminator => "\r\n"u8;

    /// <summary>The optional fourth argument of <c>get_slice</c> that asks for a raw slice (2026); exactly these bytes.</summary>
    public static ReadOnlySpan<byte> RawToken => "raw"u8;

    /// <summary>The one header line of a raw slice reply starts with this; the decimal size and <c>\r\n</c> follow.</summary>
    public static ReadOnlySpan<byte> ContentLengthPrefix => "Content-Length: "u8;

    /// <summary>FILENAME characters: <c>A-Z a-z 0-9 . - _</c>.</summary>
    public static bool IsFileNameByte(byte value) =>
        value is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'.' or (byte)'-' or (byte)'_';

    public static bool IsDigit(byte value) => value is >= (byte)'0' and <= (byte)'9';

    /// <summary>True when <paramref name="name"/> could be asked for: 1 or more FILENAME characters.</summary>
    public static bool IsValidFileName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty)
        {
            return false;
        }

        foreach (var character in name)
        {
            if (character > 0x7F || !IsFileNameByte((byte)character))
            {
                return false;
            }
        }

        return true;
    }
}
