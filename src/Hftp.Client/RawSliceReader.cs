using System.Buffers;
using System.Globalization;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Client;

/// <summary>
/// Reads the body of a raw slice reply (2026), after its <c>0 OK</c>: exactly one header line
/// <c>Content-Length: SIZE</c> whose SIZE is the one asked for, the empty line, then SIZE bytes, streamed through
/// the reply reader's buffer. A header that differs from the one expected is a protocol error as soon as its first
/// wrong byte arrives, before any byte is written; fewer bytes then the end of the stream is a connection failure.
/// </summary>
internal static class RawSliceReader
{
    private static readonly string HeaderName = Encoding.ASCII.GetString(Syntax.ContentLengthPrefix);

    /// <summary>Copies the body of a raw slice of <paramref name="length"/> bytes into <paramref name="destination"/>.</summary>
    public static async ValueTask ReadAsync(
        ReplyReader replies, Stream destination, long length, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await ReadHeaderAsync(replies, length, cancellationToken);
        long written = 0;
        while (written < length)
        {
            var bytes = await replies.ReadBytesAsync(length - written, cancellationToken);
            await destination.WriteAsync(bytes, cancellationToken);
            written += bytes.Length;
            progress?.Report(written);
        }
    }

    /// <summary>
    /// Shows a raw slice reply's body as <c>hftp shell</c> does: its header lines, then its bytes as text, each byte that
    /// is not printable ASCII, a tab or a line feed shown as <c>.</c>, then a line feed if the body did not end with one.
    /// </summary>
    public static async ValueTask CopyAsTextAsync(ReplyReader replies, TextWriter output, long length, CancellationToken cancellationToken)
    {
        await ReadHeaderAsync(replies, length, cancellationToken);
        await output.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{HeaderName}{length}\n\n"));
        var characters = ArrayPool<char>.Shared.Rent(64 * 1024);
        try
        {
            var last = (byte)'\n';
            for (long shown = 0; shown < length;)
            {
                var bytes = await replies.ReadBytesAsync(Math.Min(length - shown, characters.Length), cancellationToken);
                for (var index = 0; index < bytes.Length; index++)
                {
                    var value = bytes.Span[index];
                    characters[index] = value is (>= 0x20 and <= 0x7E) or (byte)'\t' or Syntax.LineFeed ? (char)value : '.';
                }

                await output.WriteAsync(characters.AsMemory(0, bytes.Length), cancellationToken);
                shown += bytes.Length;
                last = bytes.Span[^1];
            }

            if (last != Syntax.LineFeed)
            {
                await output.WriteAsync('\n');
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(characters);
        }
    }

    /// <summary>
    /// Reads <c>Content-Length: SIZE\r\n\r\n</c> for exactly the SIZE asked. The header has one right form, so it is
    /// compared byte by byte as it arrives: a server that sends its body without the header fails at once, not
    /// after the reader's timeout.
    /// </summary>
    private static async ValueTask ReadHeaderAsync(ReplyReader replies, long length, CancellationToken cancellationToken)
    {
        var expected = Encoding.ASCII.GetBytes(Replies.RawSliceHeader(length))[StatusCode.Ok.StatusLine().Length..];
        var received = new byte[expected.Length];
        for (var matched = 0; matched < expected.Length;)
        {
            var bytes = await replies.ReadBytesAsync(expected.Length - matched, cancellationToken);
            bytes.CopyTo(received.AsMemory(matched));
            var differs = bytes.Span.CommonPrefixLength(expected.AsSpan(matched, bytes.Length));
            if (differs < bytes.Length)
            {
                throw WrongHeader(received.AsSpan(0, matched + differs + 1), length);
            }

            matched += bytes.Length;
        }
    }

    private static HftpProtocolException WrongHeader(ReadOnlySpan<byte> received, long length)
    {
        var shown = Show(received);
        var headerLength = HeaderName.Length + length.ToString(CultureInfo.InvariantCulture).Length;
        if (received.Length <= HeaderName.Length)
        {
            return new HftpProtocolException($"The raw slice reply has no '{HeaderName}{length}' header line: it starts '{shown}'");
        }

        return received.Length <= headerLength + Syntax.LineTerminator.Length
            ? new HftpProtocolException($"The raw slice reply's Content-Length is not the {length} bytes asked for: it starts '{shown}'")
            : new HftpProtocolException($"The raw slice reply has more than one header line: '{shown}', where an empty line should end the header");
    }

    // The received bytes as one line of text: line ends shown as \r and \n, other unprintable bytes as '?'.
    private static string Show(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var value in bytes)
        {
            text.Append(value switch
            {
                Syntax.CarriageReturn => "\\r",
                Syntax.LineFeed => "\\n",
                >= 0x20 and <= 0x7E => ((char)value).ToString(),
                _ => "?",
            });
        }

        return text.ToString();
    }
}
