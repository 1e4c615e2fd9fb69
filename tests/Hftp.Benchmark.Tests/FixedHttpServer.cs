using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hftp.Benchmark.Tests;

/// <summary>
/// A loopback HTTP/1.1 keep-alive server that answers every GET with one fixed body and the Content-Length it is
/// told to claim: enough to test hftp-load's <c>http</c> mode without nginx.
/// </summary>
internal sealed class FixedHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly byte[] _reply;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public FixedHttpServer(byte[] body, long claimedLength)
    {
        _reply = [.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {claimedLength}\r\nConnection: keep-alive\r\n\r\n"), .. body];
        _listener.Start();
        _serving = ServeAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _serving.Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        try
        {
            using var client = await _listener.AcceptSocketAsync(_stop.Token);
            var buffer = new byte[4096];
            var pending = new StringBuilder();
            while (true)
            {
                var read = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                for (var end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal); end >= 0; end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal))
                {
                    pending.Remove(0, end + 4);
                    await client.SendAsync(_reply, SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException
            or InvalidOperationException)
        {
            // Stopped, or the client went away (a listener stopped between two accepts says "not listening").
        }
    }
}
