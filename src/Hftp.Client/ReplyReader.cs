using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Client;

/// <summary>
/// Reads replies from the server through one fixed buffer: status lines, text lines, and base64 slice lines
/// decoded chunk by chunk into a destination stream, so memory stays flat whatever the slice size.
/// </summary>
internal sealed class ReplyReader(Stream stream, TimeSpan readTimeout) : IDisposable
{
    private const int BufferSize = 64 * 1024;

    // Status lines, sizes and names are short; a longer "line" means the peer is not an HFTP server.
    private const int MaxTextLineLength = 16 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;

    public async ValueTask<(StatusCode Status, string Message)> ReadStatusAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0
            || !int.TryParse(line.AsSpan(0, space), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            || !StatusCodes.TryParse(number, out var status))
        {
            throw new HftpProtocolException($"Not an HFTP status line: '{Shorten(line)}'");
        }

        return (status, line[(space + 1)..]);
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

    /// <summary>Decodes one base64 line into <paramref name="destination"/>; it must hold exactly <paramref name="expectedLength"/> bytes.</summary>
    public async ValueTask ReadBase64LineAsync(
        Stream destination, long expectedLength, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var decoded = ArrayPool<byte>.Shared.Rent(BufferSize / 4 * 3);
        try
        {
            long written = 0;
            while (true)
            {
                var pending = _buffer.AsSpan(_start, _end - _start);
                var terminator = pending.IndexOf(Syntax.CarriageReturn);
                var isFinal = terminator >= 0;
                var encoded = isFinal ? pending[..terminator] : pending[..(pending.Length & ~3)];
                var status = Base64.DecodeFromUtf8(encoded, decoded, out var consumed, out var produced, isFinal);
                if (status == OperationStatus.InvalidData || (isFinal && status == OperationStatus.NeedMoreData))
                {
                    throw new HftpProtocolException("The slice reply is not valid base64");
                }

                _start += consumed;
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

                if (isFinal && status == OperationStatus.Done)
                {
                    await ExpectLineTerminatorAsync(cancellationToken);
                    break;
                }

                if (status != OperationStatus.DestinationTooSmall)
                {
                    await FillAsync(cancellationToken);
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

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private async ValueTask ExpectLineTerminatorAsync(CancellationToken cancellationToken)
    {
        while (_end - _start < Syntax.LineTerminator.Length)
        {
            await FillAsync(cancellationToken);
        }

        if (!_buffer.AsSpan(_start, Syntax.LineTerminator.Length).SequenceEqual(Syntax.LineTerminator))
        {
            throw new HftpProtocolException("The slice reply does not end with \\r\\n");
        }

        _start += Syntax.LineTerminator.Length;
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
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
        timeout.CancelAfter(readTimeout);
        int read;
        try
        {
            read = await stream.ReadAsync(_buffer.AsMemory(_end), timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HftpConnectionException($"The server sent nothing for {readTimeout.TotalSeconds:0.#} s");
        }
        catch (IOException exception)
        {
            throw new HftpConnectionException($"The connection failed: {exception.InnerException?.Message ?? exception.Message}", exception);
        }

        if (read == 0)
        {
            throw new HftpConnectionException("The server closed the connection in the middle of a reply");
        }

        _end += read;
    }

    private static string Shorten(string line) => line.Length > 80 ? line[..80] + "..." : line;
}
