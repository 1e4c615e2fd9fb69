using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Client;

/// <summary>
/// A connection to any HFTP server. Every call sends a request and reads its reply; a non-zero status
/// becomes an <see cref="HftpStatusException"/>, a broken reply an <see cref="HftpProtocolException"/>, a lost
/// or silent connection an <see cref="HftpConnectionException"/>. Not safe for concurrent calls: use one
/// client per task (they are cheap), or pipeline with <see cref="GetSizesAsync"/>.
/// </summary>
public sealed class HftpClient : IAsyncDisposable, IDisposable
{
    private readonly NetworkStream _stream;
    private readonly ReplyReader _replies;
    private bool _closed;

    private HftpClient(Socket socket, HftpClientOptions options)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _replies = new ReplyReader(_stream, options.ReadTimeout);
    }

    /// <summary>Connects to <paramref name="host"/> (a name, an IPv4 or an IPv6 address) on <paramref name="port"/>.</summary>
    public static async Task<HftpClient> ConnectAsync(
        string host, int port = Syntax.DefaultPort, HftpClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new HftpClientOptions();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token);
            return new HftpClient(socket, options);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            var reason = exception is SocketException socketException ? socketException.Message : "timed out";
            throw new HftpConnectionException($"Cannot connect to {host}:{port}: {reason}", exception);
        }
    }

    public async Task<IReadOnlyList<string>> ListFilesAsync(CancellationToken cancellationToken = default)
    {
        await SendAsync(Command.GetFileListing.Name(), cancellationToken);
        await ExpectOkAsync(null, cancellationToken);
        var names = new List<string>();
        for (var name = await _replies.ReadLineAsync(cancellationToken); name.Length > 0; name = await _replies.ReadLineAsync(cancellationToken))
        {
            names.Add(name);
        }

        return names;
    }

    public async Task<long> GetSizeAsync(string name, CancellationToken cancellationToken = default)
    {
        await SendAsync($"{Command.GetMetadata.Name()} {CheckName(name)}", cancellationToken);
        await ExpectOkAsync(name, cancellationToken);
        return await ReadSizeAsync(cancellationToken);
    }

    /// <summary>Asks for every size in one send (pipelined) and reads the answers in order.</summary>
    public async Task<IReadOnlyList<FileSizeResult>> GetSizesAsync(IReadOnlyList<string> names, CancellationToken cancellationToken = default)
    {
        var requests = new StringBuilder();
        foreach (var name in names)
        {
            requests.Append(Command.GetMetadata.Name()).Append(' ').Append(CheckName(name)).Append(Syntax.LineTerminatorText);
        }

        await WriteAsync(requests.ToString(), cancellationToken);
        var results = new List<FileSizeResult>(names.Count);
        foreach (var name in names)
        {
            var (status, message) = await ReadStatusAsync(cancellationToken);
            var size = status == StatusCode.Ok ? await ReadSizeAsync(cancellationToken) : 0;
            results.Add(new FileSizeResult(name, status, message, size));
        }

        return results;
    }

    /// <summary>
    /// Reads bytes <c>[offset, offset+length)</c> of <paramref name="name"/> into <paramref name="destination"/>,
    /// decoding the base64 as it arrives.
    /// </summary>
    public async Task ReadSliceAsync(
        string name, long offset, long length, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        await SendAsync($"{Command.GetSlice.Name()} {CheckName(name)} {offset} {length}", cancellationToken);
        await ExpectOkAsync(name, cancellationToken);
        try
        {
            await _replies.ReadBase64LineAsync(destination, length, progress, cancellationToken);
        }
        catch (Exception)
        {
            _closed = true;
            throw;
        }
    }

    /// <summary>Sends a line as typed (the terminator is added) and returns the reply as the server sent it.</summary>
    public async Task<RawReply> SendRawAsync(string line, CancellationToken cancellationToken = default)
    {
        if (line.Contains('\r', StringComparison.Ordinal) || line.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A request is one line.", nameof(line));
        }

        await SendAsync(line, cancellationToken);
        var (status, message) = await _replies.ReadStatusAsync(cancellationToken);
        var body = new List<string>();
        var command = line.Split(' ')[0];
        if (status == StatusCode.Ok && command == Command.GetFileListing.Name())
        {
            for (var name = await _replies.ReadLineAsync(cancellationToken); name.Length > 0; name = await _replies.ReadLineAsync(cancellationToken))
            {
                body.Add(name);
            }
        }
        else if (status == StatusCode.Ok && (command == Command.GetMetadata.Name() || command == Command.GetSlice.Name()))
        {
            body.Add(await _replies.ReadLineAsync(cancellationToken));
        }

        _closed |= status.IsFatal() || (status == StatusCode.Ok && command == Command.Quit.Name());
        return new RawReply(status, message, body);
    }

    /// <summary>Says goodbye (<c>quit</c>), waits for the answer, and closes.</summary>
    public async Task QuitAsync(CancellationToken cancellationToken = default)
    {
        if (_closed)
        {
            return;
        }

        await SendAsync(Command.Quit.Name(), cancellationToken);
        _closed = true;
        var (status, message) = await _replies.ReadStatusAsync(cancellationToken);
        if (status != StatusCode.Ok)
        {
            throw new HftpStatusException(status, message, null);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var polite = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await QuitAsync(polite.Token);
        }
        catch (Exception exception) when (exception is HftpException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing anyway: the connection was already broken or the server is gone.
        }

        Dispose();
    }

    public void Dispose()
    {
        _closed = true;
        _replies.Dispose();
        _stream.Dispose();
    }

    private static string CheckName(string name) => Syntax.IsValidFileName(name)
        ? name
        : throw new ArgumentException($"'{name}' is not an HFTP file name (1 or more of A-Z a-z 0-9 . - _).", nameof(name));

    private Task SendAsync(string request, CancellationToken cancellationToken) =>
        WriteAsync(request + Syntax.LineTerminatorText, cancellationToken);

    private async Task WriteAsync(string requests, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        try
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(requests), cancellationToken); // raw lines go as typed
        }
        catch (IOException exception)
        {
            _closed = true;
            throw new HftpConnectionException($"The connection failed: {exception.InnerException?.Message ?? exception.Message}", exception);
        }
    }

    // Any failure reading a reply leaves the stream at an unknown place: the connection is done for.
    private async Task<(StatusCode Status, string Message)> ReadStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            var reply = await _replies.ReadStatusAsync(cancellationToken);
            _closed |= reply.Status.IsFatal();
            return reply;
        }
        catch (HftpException)
        {
            _closed = true;
            throw;
        }
    }

    private async Task ExpectOkAsync(string? name, CancellationToken cancellationToken)
    {
        var (status, message) = await ReadStatusAsync(cancellationToken);
        if (status != StatusCode.Ok)
        {
            throw new HftpStatusException(status, message, name);
        }
    }

    private async Task<long> ReadSizeAsync(CancellationToken cancellationToken)
    {
        var line = await _replies.ReadLineAsync(cancellationToken);
        return long.TryParse(line, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
            ? size
            : throw new HftpProtocolException($"Not a file size: '{line}'");
    }
}
