using System.Net;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Testing;

/// <summary>
/// Talks raw bytes to a server, as the protocol reads: <c>await client.SendAsync(Requests.Quit);
/// await client.ExpectAsync(StatusCode.Ok.StatusLineText());</c>. Every read has a bounded timeout, so a missing reply fails the
/// test instead of hanging it.
/// </summary>
public sealed class RawClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TestTimeouts.Reply;

    private readonly Socket _socket;

    private RawClient(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    public static RawClient Connect(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(endPoint);
        return new RawClient(socket);
    }

    public Task SendAsync(string ascii) => SendAsync(Encoding.ASCII.GetBytes(ascii));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
    }

    /// <summary>Reads exactly as many bytes as <paramref name="expected"/> has and compares them.</summary>
    public async Task ExpectAsync(string expected, TimeSpan? timeout = null)
    {
        var actual = await ReadExactlyAsync(Encoding.ASCII.GetByteCount(expected), timeout);
        var text = Encoding.ASCII.GetString(actual);
        if (text != expected)
        {
            throw new InvalidOperationException($"Expected {Escape(expected)} but read {Escape(text)}");
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; fails if the stream ends or the time runs out first.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, TimeSpan? timeout = null)
    {
        var buffer = new byte[count];
        using var cancellation = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var filled = 0;
        while (filled < count)
        {
            var read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellation.Token);
            if (read == 0)
            {
                throw new EndOfStreamException(
                    $"Connection closed after {filled} of {count} bytes: {Escape(Encoding.ASCII.GetString(buffer, 0, filled))}");
            }

            filled += read;
        }

        return buffer;
    }

    /// <summary>Reads one line up to and including <c>\r\n</c> and returns it without the terminator.</summary>
    public async Task<string> ReadLineAsync(TimeSpan? timeout = null, int maxLength = 64 * 1024 * 1024)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var line = new List<byte>();
        var one = new byte[1];
        while (line.Count < maxLength)
        {
            var read = await _socket.ReceiveAsync(one, SocketFlags.None, cancellation.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"Connection closed mid-line: {Escape(Encoding.ASCII.GetString([.. line]))}");
            }

            if (one[0] == '\n' && line.Count > 0 && line[^1] == '\r')
            {
                line.RemoveAt(line.Count - 1);
                return Encoding.ASCII.GetString([.. line]);
            }

            line.Add(one[0]);
        }

        throw new InvalidOperationException($"Line longer than {maxLength} bytes");
    }

    /// <summary>Waits for a clean end of stream (no more bytes, no reset) within <paramref name="timeout"/>.</summary>
    public async Task ExpectClosedAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cancellation = new CancellationTokenSource(limit);
        var buffer = new byte[256];
        int read;
        try
        {
            read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellation.Token);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"No end of stream within {limit.TotalSeconds:0.#} s; {ClientSideState()}");
        }

        if (read != 0)
        {
            throw new InvalidOperationException($"Expected end of stream but read {Escape(Encoding.ASCII.GetString(buffer, 0, read))}");
        }
    }

    public void Dispose() => _socket.Dispose();

    // Tells a server that never answered from a test process that never looked: whether the socket holds bytes or the
    // end of stream right now, and how busy the thread pool that completes this process's socket reads is.
    private string ClientSideState()
    {
        var readable = _socket.Poll(0, SelectMode.SelectRead);
        return $"the socket is {(readable ? "readable now (the server had answered or closed)" : "not readable now")}; " +
            $"thread pool: {ThreadPool.ThreadCount} threads, {ThreadPool.PendingWorkItemCount} work items waiting";
    }

    private static string Escape(string text)
    {
        var shown = text.Length > 200 ? text[..200] + $"... ({text.Length} chars)" : text;
        return "\"" + shown.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
    }
}
