using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Hftp.Testing;

namespace Hftp.Benchmark.Tests;

/// <summary>
/// A loopback relay in front of a real server that misbehaves on purpose, so tests can see that the loads
/// notice: it can alter the server's bytes on their way back, or close a client connection that has sent
/// some bytes without ending its line (what a server's request timeout does to a slowloris).
/// </summary>
internal sealed class TamperingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _server;
    private readonly Func<byte, byte> _alterReplyByte;
    private readonly int _closeAfterBytesWithoutLineEnd;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _sockets = [];
    private readonly Task _accepting;

    /// <param name="alterReplyByte">Applied to every byte the server sends back; null leaves them alone.</param>
    /// <param name="closeAfterBytesWithoutLineEnd">Close a client once it has sent this many bytes since its last <c>\n</c>; 0 never.</param>
    public TamperingProxy(IPEndPoint server, Func<byte, byte>? alterReplyByte = null, int closeAfterBytesWithoutLineEnd = 0)
    {
        _server = server;
        _alterReplyByte = alterReplyByte ?? (value => value);
        _closeAfterBytesWithoutLineEnd = closeAfterBytesWithoutLineEnd;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _accepting.Wait(TestTimeouts.Reply);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                _sockets.Add(client);
                _ = RelayAsync(client);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException
            or InvalidOperationException)
        {
            // Stopped (a listener stopped between two accepts says "not listening").
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _sockets.Add(server);
        try
        {
            await server.ConnectAsync(_server, _stop.Token);
            await Task.WhenAll(EndBothOnFailure(ForwardRequestsAsync(client, server), client, server), EndBothOnFailure(ForwardRepliesAsync(server, client), client, server));
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side went away: the other goes too.
        }
        finally
        {
            client.Dispose();
        }
    }

    // A reset on one side must not leave the other open (and the server holding a connection) until Dispose.
    private static async Task EndBothOnFailure(Task forwarding, Socket client, Socket server)
    {
        try
        {
            await forwarding;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task ForwardRequestsAsync(Socket client, Socket server)
    {
        var buffer = new byte[16 * 1024];
        var sinceLineEnd = 0;
        while (true)
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                server.Shutdown(SocketShutdown.Send);
                return;
            }

            var lastLineEnd = Array.LastIndexOf(buffer, (byte)'\n', read - 1);
            sinceLineEnd = lastLineEnd >= 0 ? read - lastLineEnd - 1 : sinceLineEnd + read;
            if (_closeAfterBytesWithoutLineEnd > 0 && sinceLineEnd >= _closeAfterBytesWithoutLineEnd)
            {
                client.Shutdown(SocketShutdown.Both);
                client.Dispose();
                server.Dispose();
                return;
            }

            await server.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
    }

    private async Task ForwardRepliesAsync(Socket server, Socket client)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await server.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                client.Shutdown(SocketShutdown.Send);
                return;
            }

            for (var index = 0; index < read; index++)
            {
                buffer[index] = _alterReplyByte(buffer[index]);
            }

            await client.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
    }
}
