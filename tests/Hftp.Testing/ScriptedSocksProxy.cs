using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hftp.Testing;

/// <summary>
/// A SOCKS5 proxy on 127.0.0.1, port 0, for what real ones do rarely or only over Tor: stay silent, choose an
/// authentication method, answer CONNECT with a given reply code, or relay every CONNECT to one loopback port
/// whatever name it names (as Tor does for an onion address). It records each destination asked for.
/// </summary>
public sealed class ScriptedSocksProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Socket> _sockets = new();
    private readonly ConcurrentQueue<string> _destinations = new();
    private readonly Func<Socket, CancellationToken, Task> _script;
    private readonly Task _accepting;

    private ScriptedSocksProxy(Func<ScriptedSocksProxy, Socket, CancellationToken, Task> script)
    {
        _script = (socket, stop) => script(this, socket, stop);
        _listener.Start();
        _accepting = Task.Run(AcceptAsync); // off the test framework's synchronization context, which a busy run can starve
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every CONNECT destination asked for so far, as <c>HOST:PORT</c> (a name as sent, or an address).</summary>
    public IReadOnlyList<string> Destinations => [.. _destinations];

    /// <summary>Accepts and never says a word, as a stalled proxy.</summary>
    public static ScriptedSocksProxy Silent() => new((_, _, stop) => Task.Delay(Timeout.Infinite, stop));

    /// <summary>Answers the greeting with <paramref name="method"/> and says nothing more.</summary>
    public static ScriptedSocksProxy ChoosingMethod(byte method) => new(async (_, socket, stop) =>
    {
        await ReadGreetingAsync(socket, stop);
        await socket.SendAsync(new byte[] { 5, method }, stop);
        await Task.Delay(Timeout.Infinite, stop);
    });

    /// <summary>Accepts without authentication and answers CONNECT with <paramref name="reply"/>, then closes.</summary>
    public static ScriptedSocksProxy Replying(byte reply) => new(async (proxy, socket, stop) =>
    {
        await ReadGreetingAsync(socket, stop);
        await socket.SendAsync(new byte[] { 5, 0 }, stop);
        await proxy.ReadConnectAsync(socket, stop);
        await socket.SendAsync(new byte[] { 5, reply, 0, 1, 0, 0, 0, 0, 0, 0 }, stop);
    });

    /// <summary>
    /// Relays every CONNECT to 127.0.0.1:<paramref name="port"/>. Its success reply names the bound address as Tor's
    /// does (IPv4 0.0.0.0:0), or by a domain name (a reply of another length) when <paramref name="boundByName"/>.
    /// </summary>
    public static ScriptedSocksProxy RelayingTo(int port, bool boundByName = false) => new(async (proxy, socket, stop) =>
    {
        await ReadGreetingAsync(socket, stop);
        await socket.SendAsync(new byte[] { 5, 0 }, stop);
        await proxy.ReadConnectAsync(socket, stop);
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        proxy._sockets.Enqueue(upstream);
        await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), stop);
        byte[] reply = boundByName ? [5, 0, 0, 3, 5, .. "relay"u8, 0x4B, 0x0C] : [5, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        await socket.SendAsync(reply, stop);
        await Task.WhenAll(PumpAsync(socket, upstream, stop), PumpAsync(upstream, socket, stop));
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        await _accepting.WaitAsync(TestTimeouts.Reply);
        _stop.Dispose();
    }

    private static async Task ReadGreetingAsync(Socket socket, CancellationToken stop)
    {
        var head = await ReceiveAsync(socket, 2, stop);
        await ReceiveAsync(socket, head[1], stop);
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int count, CancellationToken stop)
    {
        var buffer = new byte[count];
        for (var received = 0; received < count;)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, stop);
            received += read > 0 ? read : throw new SocketException((int)SocketError.ConnectionReset);
        }

        return buffer;
    }

    // Copies one way until that side ends, then passes the end on; a reset on either side ends both.
    private static async Task PumpAsync(Socket from, Socket to, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            for (var read = await from.ReceiveAsync(buffer, stop); read > 0; read = await from.ReceiveAsync(buffer, stop))
            {
                await to.SendAsync(buffer.AsMemory(0, read), stop);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            from.Close();
            to.Close();
        }
    }

    private async Task ReadConnectAsync(Socket socket, CancellationToken stop)
    {
        var head = await ReceiveAsync(socket, 4, stop);
        var host = head[3] switch
        {
            1 => new IPAddress(await ReceiveAsync(socket, 4, stop)).ToString(),
            4 => new IPAddress(await ReceiveAsync(socket, 16, stop)).ToString(),
            _ => Encoding.ASCII.GetString(await ReceiveAsync(socket, (await ReceiveAsync(socket, 1, stop))[0], stop)),
        };
        var port = await ReceiveAsync(socket, 2, stop);
        _destinations.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{host}:{(port[0] << 8) | port[1]}"));
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                _sockets.Enqueue(socket);
                connections.Add(RunAsync(socket));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException
            or InvalidOperationException)
        {
            // Stopped.
        }

        await Task.WhenAll(connections);
    }

    // The client hanging up or the test stopping the proxy ends a connection; nothing to report.
    private async Task RunAsync(Socket socket)
    {
        try
        {
            await _script(socket, _stop.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
