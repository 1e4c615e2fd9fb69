using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hftp.Benchmark.Tests;

/// <summary>
/// A loopback server that speaks the two inline Redis commands hftp-load's <c>redis</c> mode sends (SET KEY VALUE,
/// GET KEY), for any number of connections, with an optional change to every GET reply: enough to test that mode
/// without Redis.
/// </summary>
internal sealed class FakeRedisServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, string> _values = new();
    private readonly Func<string, string> _alterValue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public FakeRedisServer(Func<string, string>? alterValue = null)
    {
        _alterValue = alterValue ?? (value => value);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string? ValueOf(string key) => _values.TryGetValue(key, out var value) ? value : null;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _accepting.Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var clients = new List<Task>();
        try
        {
            while (true)
            {
                clients.Add(ServeAsync(await _listener.AcceptSocketAsync(_stop.Token)));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await Task.WhenAll(clients);
    }

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        var buffer = new byte[4096];
        var pending = new StringBuilder();
        try
        {
            while (await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token) is var read and > 0)
            {
                pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                for (var end = pending.ToString().IndexOf("\r\n", StringComparison.Ordinal); end >= 0; end = pending.ToString().IndexOf("\r\n", StringComparison.Ordinal))
                {
                    var words = pending.ToString(0, end).Split(' ');
                    pending.Remove(0, end + 2);
                    await client.SendAsync(Encoding.ASCII.GetBytes(Answer(words)), SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped, or the client went away.
        }
    }

    private string Answer(string[] words)
    {
        switch (words)
        {
            case ["SET", var key, var value]:
                _values[key] = value;
                return "+OK\r\n";
            case ["GET", var key] when _values.TryGetValue(key, out var value):
                var reply = _alterValue(value);
                return $"${reply.Length}\r\n{reply}\r\n";
            case ["GET", _]:
                return "$-1\r\n";
            default:
                return "-ERR unknown command\r\n";
        }
    }
}
