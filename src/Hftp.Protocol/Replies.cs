using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Hftp.Protocol;

/// <summary>
/// The shapes of replies (PROTOCOL.md, "Requests" and "Replies and error codes"): a status line
/// <c>CODE MESSAGE\r\n</c>, then for <c>0 OK</c> the command's body. Clients parse status lines here; load
/// generators and tests build the replies they expect here.
/// </summary>
public static class Replies
{
    /// <summary>A listing: <c>0 OK</c>, one <c>NAME\r\n</c> per file, then an empty line.</summary>
    public static string Listing(params IEnumerable<string> names)
    {
        var reply = new StringBuilder(StatusCode.Ok.StatusLineText());
        foreach (var name in names)
        {
            reply.Append(name).Append(Syntax.LineTerminatorText);
        }

        return reply.Append(Syntax.LineTerminatorText).ToString();
    }

    /// <summary>The <c>help</c> reply (2026): <c>0 OK</c>, one command name per line, then an empty line.</summary>
    public static string Help() => Listing(Commands.All.Select(Commands.Name));

    /// <summary>The header of a raw slice reply (2026): <c>0 OK</c>, <c>Content-Length: SIZE</c>, an empty line.</summary>
    public static string RawSliceHeader(long size) => string.Create(
        CultureInfo.InvariantCulture,
        $"{StatusCode.Ok.StatusLineText()}{Encoding.ASCII.GetString(Syntax.ContentLengthPrefix)}{size}{Syntax.LineTerminatorText}{Syntax.LineTerminatorText}");

    /// <summary>The bytes of a whole raw slice reply: the header, then <paramref name="content"/> as it is.</summary>
    public static byte[] RawSliceBytes(ReadOnlySpan<byte> content) => [.. Encoding.ASCII.GetBytes(RawSliceHeader(content.Length)), .. content];

    /// <summary>A metadata reply: <c>0 OK</c>, then the size in decimal.</summary>
    public static string Size(long size) =>
        string.Create(CultureInfo.InvariantCulture, $"{StatusCode.Ok.StatusLineText()}{size}{Syntax.LineTerminatorText}");

    /// <summary>A slice reply: <c>0 OK</c>, then <paramref name="content"/> as base64 on one line.</summary>
    public static string Slice(ReadOnlySpan<byte> content) =>
        StatusCode.Ok.StatusLineText() + Convert.ToBase64String(content) + Syntax.LineTerminatorText;

    /// <summary>A slice reply whose base64 line is already known: <c>0 OK</c>, then <paramref name="base64Line"/>.</summary>
    public static string Base64Slice(string base64Line) => StatusCode.Ok.StatusLineText() + base64Line + Syntax.LineTerminatorText;

    /// <summary>The bytes of a slice reply for <paramref name="content"/>, written without intermediate text.</summary>
    public static byte[] SliceBytes(ReadOnlySpan<byte> content)
    {
        var status = StatusCode.Ok.StatusLine();
        var reply = new byte[status.Length + Base64.GetMaxEncodedToUtf8Length(content.Length) + Syntax.LineTerminator.Length];
        status.CopyTo(reply);
        Base64.EncodeToUtf8(content, reply.AsSpan(status.Length), out _, out var written);
        Syntax.LineTerminator.CopyTo(reply.AsSpan(status.Length + written));
        return reply;
    }

    /// <summary>
    /// Parses a status line without its terminator, <c>DIGITS SPACE MESSAGE</c>, whose code is in the status table.
    /// <paramref name="message"/> is the message as sent (a client shows it; it need not be the table's).
    /// </summary>
    public static bool TryParseStatusLine(ReadOnlySpan<byte> line, out StatusCode status, out ReadOnlySpan<byte> message)
    {
        status = default;
        message = default;
        var space = line.IndexOf(Syntax.Space);
        if (space <= 0 || !IsPrintable(line) || line[..space].IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
        {
            return false;
        }

        if (!int.TryParse(line[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || !StatusCodes.TryParse(number, out status))
        {
            return false;
        }

        message = line[(space + 1)..];
        return true;
    }

    /// <summary>
    /// True when <paramref name="line"/> (without its terminator, or the part of it received so far) has the shape
    /// of a status line, <c>DIGITS SPACE TEXT</c> in printable ASCII; a partial line only has to be a prefix of one,
    /// its <c>\r</c> perhaps already in. A client names a peer that is not an HFTP server from its first bytes.
    /// </summary>
    public static bool CouldBeStatusLine(ReadOnlySpan<byte> line, bool isComplete)
    {
        if (!isComplete && line.EndsWith([Syntax.CarriageReturn]))
        {
            line = line[..^1];
        }

        var digits = line.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        if (digits < 0)
        {
            return !isComplete;
        }

        return digits > 0 && line[digits] == Syntax.Space && IsPrintable(line[digits..]);
    }

    /// <summary>Parses the body line of a metadata reply: 1 or more decimal digits.</summary>
    public static bool TryParseSize(ReadOnlySpan<char> line, out long size) =>
        long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out size);

    private static bool IsPrintable(ReadOnlySpan<byte> text) => text.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0;
}
