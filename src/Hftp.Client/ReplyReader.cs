using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Client;

/// <summary>
/// Reads replies from the server through one fixed buffer: status lines, text lines, and base64 slice lines
/// decoded chunk by chunk into a destination stream, so memory stays flat whatever the slice size.
/// </summary>
internal sealed class ReplyReader(Stream stream, TimeSpan readTimeout, string peer) : IDisposable
{
    private const int BufferSize = 64 * 1024;

    // Status lines, sizes and names are short; a longer "line" means the peer is not an HFTP server.
    public const int MaxTextLineLength = 16 * 1024;

    // The standard alphabet, without '=': PROTOCOL.md wants one clean line, so spaces, tabs and line breaks
    // inside it are protocol errors, not something to skip.
    private static readonly SearchValues<byte> Base64Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8);

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;

    // No progress for readTimeout ends the reply: a trickle must bring ProgressBytes within it, a stall nothing.
    private long _progressAt = Stopwatch.GetTimestamp();
    private long _sinceProgress;

    /// <summary>A request was sent: its reply's no-progress clock starts now.</summary>
    public void StartReply()
    {
        _progressAt = Stopwatch.GetTimestamp();
        _sinceProgress = 0;
    }

    /// <summary>
    /// Reads one line as bytes (without its terminator), at most <paramref name="maxLength"/> of them; names in a
    /// listing are whatever bytes the server sends, shown safely by the caller.
    /// </summary>
    public async ValueTask<byte[]> ReadLineBytesAsync(int maxLength, CancellationToken cancellationToken)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var terminator = pending.IndexOf(Syntax.LineTerminator);
            if (terminator >= 0)
            {
                var line = pending[..terminator].ToArray();
                _start += terminator + Syntax.LineTerminator.Length;
                return line;
            }

            if (pending.Length > maxLength)
            {
                throw new HftpProtocolException($"A reply line longer than {maxLength} bytes");
            }

            await FillAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Reads a status line, <c>DIGITS SPACE TEXT</c>. Its bytes are checked as they arrive, so a peer that is not an
    /// HFTP server (an HTTP server's <c>HTTP/1.1 400</c>, an HTML page with <c>\n</c> line ends) is named as such
    /// at once, not after waiting for a <c>\r\n</c> that never comes.
    /// </summary>
    public async ValueTask<(StatusCode Status, string Message)> ReadStatusAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var terminator = pending.IndexOf(Syntax.LineTerminator);
            var line = terminator >= 0 ? pending[..terminator] : pending;
            if (!Replies.CouldBeStatusLine(line, isComplete: terminator >= 0))
            {
                throw NotHftpServer(line);
            }

            if (terminator >= 0)
            {
                _start += terminator + Syntax.LineTerminator.Length;
                return Replies.TryParseStatusLine(line, out var status, out var message)
                    ? (status, Encoding.ASCII.GetString(message))
                    : throw new HftpProtocolException($"Not an HFTP status: '{Shorten(Encoding.ASCII.GetString(line))}'");
            }

            if (pending.Length > MaxTextLineLength)
            {
                throw new HftpProtocolException($"A status line longer than {MaxTextLineLength} bytes");
            }

            await FillAsync(cancellationToken, isReplyStart: pending.IsEmpty);
        }
    }

    public async ValueTask<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var pending = _buffer.AsSpan(_start, _end - _start);
            var terminator = pending.IndexOf(Syntax.LineTerminator);
            if (terminator >= 0)
            {
                var line = Encoding.ASCII.GetString(pending[..terminator]);
                _start += terminator + Syntax.LineTerminator.Length;
                return line;
            }

            if (pending.Length > MaxTextLineLength)
            {
                throw new HftpProtocolException($"A reply line longer than {MaxTextLineLength} bytes");
            }

            await FillAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Copies one line, as it arrives and whatever its length, to <paramref name="output"/> (without its terminator);
    /// returns its length. The line must be printable ASCII, as everything an HFTP server sends.
    /// </summary>
    public async ValueTask<long> CopyLineAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var characters = ArrayPool<char>.Shared.Rent(BufferSize);
        try
        {
            long length = 0;
            while (true)
            {
                var pending = _buffer.AsSpan(_start, _end - _start);
                // The first byte that is not printable must be the terminator (or its \r, the \n still to come).
                var stop = pending.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
                var count = stop < 0 ? pending.Length : stop;
                var isEnd = stop >= 0 && pending[stop..].StartsWith(Syntax.LineTerminator);
                var awaitsLineFeed = stop >= 0 && stop == pending.Length - 1 && pending[stop] == Syntax.CarriageReturn;
                if (stop >= 0 && !isEnd && !awaitsLineFeed)
                {
                    throw new HftpProtocolException($"The reply holds byte 0x{pending[stop]:X2}, which is not printable ASCII");
                }

                var copied = Encoding.ASCII.GetChars(pending[..count], characters);
                _start += count + (isEnd ? Syntax.LineTerminator.Length : 0);
                length += count;
                if (copied > 0)
                {
                    await output.WriteAsync(characters.AsMemory(0, copied), cancellationToken);
                }

                if (isEnd)
                {
                    return length;
                }

                await FillAsync(cancellationToken);
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(characters);
        }
    }

    /// <summary>
    /// Decodes one base64 line into <paramref name="destination"/>; it must hold exactly <paramref name="expectedLength"/> bytes.
    /// Blocks of four are decoded as they arrive; the padded last block only once its <c>\r\n</c> is in, so the
    /// result never depends on where TCP splits the stream.
    /// </summary>
    public async ValueTask ReadBase64LineAsync(
        Stream destination, long expectedLength, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var decoded = ArrayPool<byte>.Shared.Rent(BufferSize / 4 * 3);
        try
        {
            long position = 0;
            long written = 0;
            while (true)
            {
                var step = NextBase64Step(position, decoded.Length / 3 * 4);
                if (step.NeedsMoreBytes)
                {
                    await FillAsync(cancellationToken);
                    continue;
                }

                var status = Base64.DecodeFromUtf8(
                    _buffer.AsSpan(_start, step.Encoded), decoded, out var consumed, out var produced, isFinalBlock: step.IsEndOfLine);
                if (status != OperationStatus.Done || consumed != step.Encoded)
                {
                    throw NotBase64($"the block at byte {position} does not decode");
                }

                _start += step.Consumed;
                position += step.Consumed;
                if (produced > 0)
                {
                    written += produced;
                    if (written > expectedLength)
                    {
                        throw new HftpProtocolException($"The slice reply holds more than the {expectedLength} bytes asked for");
                    }

                    await destination.WriteAsync(decoded.AsMemory(0, produced), cancellationToken);
                    progress?.Report(written);
                }

                if (step.IsEndOfLine)
                {
                    break;
                }
            }

            if (written != expectedLength)
            {
                throw new HftpProtocolException($"The slice reply holds {written} bytes, not the {expectedLength} asked for");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(decoded);
        }
    }

    /// <summary>
    /// Takes up to <paramref name="count"/> bytes of a body framed by its length (a raw slice): those already
    /// buffered, else those of the next read. They stay valid until the next call on this reader.
    /// </summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadBytesAsync(long count, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            await FillAsync(cancellationToken);
        }

        var taken = (int)Math.Min(count, _end - _start);
        var bytes = _buffer.AsMemory(_start, taken);
        _start += taken;
        return bytes;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    /// <summary>
    /// What the buffered bytes of a base64 line allow next: decode whole unpadded blocks, or the last block
    /// (padded or empty) with its terminator, or wait for more bytes. Anything that is not a clean line throws:
    /// <see cref="Base64.DecodeFromUtf8(ReadOnlySpan{byte}, Span{byte}, out int, out int, bool)"/> would skip spaces.
    /// </summary>
    private Base64Step NextBase64Step(long position, int maxEncoded)
    {
        var pending = _buffer.AsSpan(_start, _end - _start);
        var letters = pending.IndexOfAnyExcept(Base64Alphabet);
        var wholeBlocks = Math.Min((letters < 0 ? pending.Length : letters) & ~3, maxEncoded);
        if (wholeBlocks > 0)
        {
            return new Base64Step(wholeBlocks, wholeBlocks, IsEndOfLine: false);
        }

        if (letters < 0)
        {
            return Base64Step.NeedMore;
        }

        // Fewer than four letters, then something else: only padding ending the line, or the terminator, may follow.
        var stop = pending[letters];
        if (stop == (byte)'=')
        {
            if (letters < 2)
            {
                throw NotBase64($"'=' at byte {position + letters}, where a block of four cannot end");
            }

            for (var index = letters; index < Math.Min(4, pending.Length); index++)
            {
                if (pending[index] != (byte)'=')
                {
                    throw NotBase64($"{Describe(pending[index])} at byte {position + index}, after the '=' padding");
                }
            }

            if (pending.Length < 4 + Syntax.LineTerminator.Length)
            {
                return Base64Step.NeedMore;
            }

            ExpectTerminator(pending[4..], position + 4);
            return new Base64Step(4, 4 + Syntax.LineTerminator.Length, IsEndOfLine: true);
        }

        if (stop == Syntax.CarriageReturn)
        {
            if (letters != 0)
            {
                throw NotBase64($"the line ends after {position + letters} characters, not a whole number of blocks of four");
            }

            if (pending.Length < Syntax.LineTerminator.Length)
            {
                return Base64Step.NeedMore;
            }

            ExpectTerminator(pending, position);
            return new Base64Step(0, Syntax.LineTerminator.Length, IsEndOfLine: true);
        }

        throw NotBase64($"{Describe(stop)} at byte {position + letters}");
    }

    private static void ExpectTerminator(ReadOnlySpan<byte> bytes, long position)
    {
        if (!bytes.StartsWith(Syntax.LineTerminator))
        {
            var wrong = bytes[0] == Syntax.CarriageReturn ? 1 : 0;
            throw NotBase64($"{Describe(bytes[wrong])} at byte {position + wrong}, where the line should end with \\r\\n");
        }
    }

    private static HftpProtocolException NotBase64(string detail) => new($"The slice reply is not valid base64: {detail}");

    private static string Describe(byte value) => value is >= 0x21 and <= 0x7E
        ? $"'{(char)value}'"
        : $"byte 0x{value:X2}{value switch { 0x20 => " (space)", 0x09 => " (tab)", 0x0A => " (\\n)", 0x0D => " (\\r)", _ => string.Empty }}";

    private HftpProtocolException NotHftpServer(ReadOnlySpan<byte> reply)
    {
        var looksLikeHttp = reply.StartsWith("HTTP/"u8) || reply.StartsWith("<"u8);
        var start = string.Create(Math.Min(reply.Length, 40), reply[..Math.Min(reply.Length, 40)].ToArray(), static (text, bytes) =>
        {
            for (var index = 0; index < text.Length; index++)
            {
                text[index] = bytes[index] is >= 0x20 and <= 0x7E ? (char)bytes[index] : '?';
            }
        });
        return new HftpProtocolException(looksLikeHttp
            ? $"{peer} is not an HFTP server (it answered like an HTTP server)"
            : $"{peer} is not an HFTP server (its reply starts '{start}')");
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken, bool isReplyStart = false)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new HftpProtocolException("A reply element does not fit the client's buffer");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (readTimeout != Timeout.InfiniteTimeSpan)
        {
            var left = readTimeout - Stopwatch.GetElapsedTime(_progressAt);
            timeout.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        int read;
        try
        {
            read = await stream.ReadAsync(_buffer.AsMemory(_end), timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HftpConnectionException(_sinceProgress == 0
                ? string.Create(CultureInfo.InvariantCulture, $"The server sent nothing for {readTimeout.TotalSeconds:0.###} s")
                : string.Create(CultureInfo.InvariantCulture, $"The server sent only {_sinceProgress} bytes in {readTimeout.TotalSeconds:0.###} s"));
        }
        catch (IOException exception)
        {
            throw new HftpConnectionException($"The connection failed: {exception.InnerException?.Message ?? exception.Message}", exception);
        }

        if (read == 0)
        {
            throw new HftpConnectionException(isReplyStart
                ? "The server closed the connection before replying"
                : "The server closed the connection in the middle of a reply");
        }

        _end += read;
        _sinceProgress += read;
        if (_sinceProgress >= HftpClientOptions.ProgressBytes)
        {
            StartReply();
        }
    }

    private static string Shorten(string line) => line.Length > 80 ? line[..80] + "..." : line;

    /// <summary>Decode <see cref="Encoded"/> bytes, then skip <see cref="Consumed"/> (the terminator, at the end of the line).</summary>
    private readonly record struct Base64Step(int Encoded, int Consumed, bool IsEndOfLine)
    {
        public static Base64Step NeedMore => new(0, 0, IsEndOfLine: false);

        public bool NeedsMoreBytes => Consumed == 0;
    }
}
