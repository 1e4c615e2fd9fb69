using System.Globalization;
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
public sealed partial class HftpClient : IAsyncDisposable, IDisposable
{
    private readonly NetworkStream _stream;
    private readonly ReplyReader _replies;
    private readonly HftpClientOptions _options;

    // The server has closed, or will (quit answered, a fatal status), or this client was disposed.
    private bool _closed;

    // A request is out whose reply was not read to its end: after any failure there (network, protocol,
    // cancellation) the stream is at an unknown place, so the connection is only good for closing.
    private bool _broken;

    private HftpClient(Socket socket, string peer, HftpClientOptions options)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _replies = new ReplyReader(_stream, options.ReadTimeout, peer);
        _options = options;
    }

    /// <summary>
    /// Connects to <paramref name="host"/> (a name, an IPv4 or an IPv6 address) on <paramref name="port"/>, directly or
    /// through <see cref="HftpClientOptions.Proxy"/>, within <see cref="HftpClientOptions.ConnectTimeout"/>.
    /// </summary>
    public static async Task<HftpClient> ConnectAsync(
        string host, int port = Defaults.Port, HftpClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new HftpClientOptions();
        var peer = SocketConnector.Describe(host, port);
        if (options.Proxy is { } proxy)
        {
            var tunnel = await Socks5Connector.ConnectAsync(proxy, host, port, options.ConnectTimeout, cancellationToken);
            return new HftpClient(tunnel, peer, options);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            var socket = await SocketConnector.ConnectAsync(host, port, peer, timeout.Token);
            return new HftpClient(socket, peer, options);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HftpConnectionException(string.Create(CultureInfo.InvariantCulture,
                $"Cannot connect to {peer}: timed out after {options.ConnectTimeout.TotalSeconds:0.###} s"), exception);
        }
    }

    /// <summary>The listing's names; bytes that are not ASCII come out as U+FFFD (see <see cref="ListFileNamesAsync"/>).</summary>
    public async Task<IReadOnlyList<string>> ListFilesAsync(CancellationToken cancellationToken = default) =>
        [.. (await ListFileNamesAsync(cancellationToken)).Select(name => Encoding.UTF8.GetString(name))];

    /// <summary>
    /// The listing's names as the bytes the server sent, at most <see cref="HftpClientOptions.MaxListingNames"/> of them
    /// in at most <see cref="HftpClientOptions.MaxListingBytes"/>: a server that never ends its listing is an error,
    /// not a client that grows without bound.
    /// </summary>
    public Task<IReadOnlyList<byte[]>> ListFileNamesAsync(CancellationToken cancellationToken = default) =>
        ExchangeAsync<IReadOnlyList<byte[]>>(Requests.GetFileListing, async () =>
        {
            await ExpectOkAsync(null, cancellationToken);
            return await ReadListingAsync(cancellationToken);
        }, cancellationToken);

    public Task<long> GetSizeAsync(string name, CancellationToken cancellationToken = default) =>
        ExchangeAsync(Requests.GetMetadata(CheckName(name)), async () =>
        {
            await ExpectOkAsync(name, cancellationToken);
            return await ReadSizeAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>Asks for every size in one send (pipelined) and reads the answers in order.</summary>
    public Task<IReadOnlyList<FileSizeResult>> GetSizesAsync(IReadOnlyList<string> names, CancellationToken cancellationToken = default)
    {
        var requests = new StringBuilder();
        foreach (var name in names)
        {
            requests.Append(Requests.GetMetadata(CheckName(name)));
        }

        return ExchangeAsync<IReadOnlyList<FileSizeResult>>(requests.ToString(), async () =>
        {
            var results = new List<FileSizeResult>(names.Count);
            foreach (var name in names)
            {
                var (status, message) = await ReadStatusAsync(cancellationToken);
                var size = status == StatusCode.Ok ? await ReadSizeAsync(cancellationToken) : 0;
                results.Add(new FileSizeResult(name, status, message, size));
            }

            return results;
        }, cancellationToken);
    }

    /// <summary>
    /// Reads bytes <c>[offset, offset+length)</c> of <paramref name="name"/> into <paramref name="destination"/>,
    /// decoding the base64 as it arrives.
    /// </summary>
    public Task ReadSliceAsync(
        string name, long offset, long length, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return ExchangeAsync(Requests.GetSlice(CheckName(name), offset, length), async () =>
        {
            await ExpectOkAsync(name, cancellationToken);
            await _replies.ReadBase64LineAsync(destination, length, progress, cancellationToken);
            return true;
        }, cancellationToken);
    }

    /// <summary>Sends a line as typed (the terminator is added) and returns the reply as the server sent it.</summary>
    public async Task<RawReply> SendRawAsync(string line, CancellationToken cancellationToken = default)
    {
        using var text = new StringWriter();
        var reply = await SendRawAsync(line, text, cancellationToken);
        return reply with { Body = text.ToString().Split('\n')[1..^1] };
    }

    /// <summary>
    /// Sends a line as typed (the terminator is added) and writes the reply to <paramref name="output"/> as the server
    /// sent it, as it arrives: its status line, then its body lines, each ended by <c>\n</c> (a slice line of any size
    /// streams through). Returns the status; the reply's <see cref="RawReply.Body"/> is left empty.
    /// </summary>
    public Task<RawReply> SendRawAsync(string line, TextWriter output, CancellationToken cancellationToken = default)
    {
        if (line.Contains('\r', StringComparison.Ordinal) || line.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A request is one line.", nameof(line));
        }

        // Only a 0 OK has a body, and only a line the server read as a command can earn one; its shape is the command's.
        var isCommand = Commands.TryParseFirstElement(line, out var command);
        return ExchangeAsync(Requests.Line(line), async () =>
        {
            var (status, message) = await ReadStatusAsync(cancellationToken);
            await output.WriteAsync($"{(int)status} {message}\n");
            if (status == StatusCode.Ok && isCommand)
            {
                switch (command)
                {
                    case Command.GetFileListing or Command.Help:
                        while (await CopyBodyLineAsync(output, isListing: true, cancellationToken) > 0)
                        {
                        }

                        break;
                    case Command.GetSlice when IsRawSliceRequest(line, out var size):
                        await RawSliceReader.CopyAsTextAsync(_replies, output, size, cancellationToken);
                        break;
                    case Command.GetMetadata or Command.GetSlice:
                        await CopyBodyLineAsync(output, isListing: false, cancellationToken);
                        break;
                    case Command.Quit:
                        _closed = true;
                        break;
                }
            }

            return new RawReply(status, message, []);
        }, cancellationToken);
    }

    /// <summary>Says goodbye (<c>quit</c>), waits for the answer, and closes.</summary>
    public async Task QuitAsync(CancellationToken cancellationToken = default)
    {
        if (_closed || _broken)
        {
            return;
        }

        await ExchangeAsync(Requests.Quit, async () =>
        {
            _closed = true;
            var (status, message) = await _replies.ReadStatusAsync(cancellationToken);
            return status == StatusCode.Ok ? true : throw new HftpStatusException(status, message, null);
        }, cancellationToken);
    }

    /// <summary>Says <c>quit</c> when the connection is in order (waiting at most a second); otherwise just closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_closed && !_broken)
        {
            try
            {
                using var polite = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await QuitAsync(polite.Token);
            }
            catch (Exception exception) when (exception is HftpException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // Closing anyway: the server is gone or did not answer in time.
            }
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

    /// <summary>
    /// Sends <paramref name="requests"/> (terminated lines) and reads the reply with <paramref name="readReply"/>.
    /// Until that returns the connection counts as broken, so any failure on the way leaves it so; an error
    /// status that is not fatal is a whole reply.
    /// </summary>
    private async Task<T> ExchangeAsync<T>(string requests, Func<Task<T>> readReply, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_broken)
        {
            throw new HftpConnectionException("The connection is unusable after an earlier failure in the middle of a reply; connect again");
        }

        _broken = true;
        try
        {
            _replies.StartReply();
            await WriteAsync(requests, cancellationToken);
            var result = await readReply();
            _broken = false;
            return result;
        }
        catch (HftpStatusException status) when (!status.IsFatal)
        {
            _broken = false;
            throw;
        }
    }

    private async Task WriteAsync(string requests, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(requests), cancellationToken); // raw lines go as typed
        }
        catch (IOException exception)
        {
            throw new HftpConnectionException($"The connection failed: {exception.InnerException?.Message ?? exception.Message}", exception);
        }
    }

    private async Task<(StatusCode Status, string Message)> ReadStatusAsync(CancellationToken cancellationToken)
    {
        var reply = await _replies.ReadStatusAsync(cancellationToken);
        _closed |= reply.Status.IsFatal();
        return reply;
    }

    private async Task ExpectOkAsync(string? name, CancellationToken cancellationToken)
    {
        var (status, message) = await ReadStatusAsync(cancellationToken);
        if (status != StatusCode.Ok)
        {
            throw new HftpStatusException(status, message, name);
        }
    }

    // Every line is shown with a \n, except the empty line that ends a listing.
    private async Task<long> CopyBodyLineAsync(TextWriter body, bool isListing, CancellationToken cancellationToken)
    {
        var length = await _replies.CopyLineAsync(body, cancellationToken);
        if (length > 0 || !isListing)
        {
            await body.WriteAsync('\n');
        }

        return length;
    }

    private async Task<List<byte[]>> ReadListingAsync(CancellationToken cancellationToken)
    {
        var names = new List<byte[]>();
        long bytes = 0;
        while (true)
        {
            var left = _options.MaxListingBytes - bytes;
            var name = await _replies.ReadLineBytesAsync((int)Math.Min(left, ReplyReader.MaxTextLineLength), cancellationToken);
            if (name.Length == 0)
            {
                return names;
            }

            bytes += name.Length + 2;
            if (names.Count == _options.MaxListingNames || bytes > _options.MaxListingBytes)
            {
                throw new HftpProtocolException(string.Create(CultureInfo.InvariantCulture,
                    $"The listing is longer than {_options.MaxListingNames} names or {_options.MaxListingBytes} bytes (--max-listing raises the limit)"));
            }

            names.Add(name);
        }
    }

    private async Task<long> ReadSizeAsync(CancellationToken cancellationToken)
    {
        var line = await _replies.ReadLineAsync(cancellationToken);
        return Replies.TryParseSize(line, out var size)
            ? size
            : throw new HftpProtocolException($"Not a file size: '{line}'");
    }
}
