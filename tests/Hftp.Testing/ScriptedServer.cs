using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Testing;

/// <summary>
/// A stand-in HFTP server on 127.0.0.1, port 0, that answers with exactly the bytes a test scripts, written in
/// the segments the test chooses: for replies a real server never sends, or sends split where TCP happened
/// to split them. Each accepted connection runs the script; disposing stops the listener and every connection.
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ScriptedConnection> _connections = new();
    private readonly ConcurrentQueue<Task> _scripts = new();
    private readonly Task _accepting;

    private ScriptedServer(Func<ScriptedConnection, Task> script)
    {
        _listener.Start();
        _accepting = AcceptAsync(script);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every connection accepted so far, in order.</summary>
    public IReadOnlyList<ScriptedConnection> Connections => [.. _connections];

    public static ScriptedServer Start(Func<ScriptedConnection, Task> script) => new(script);

    /// <summary>Answers each request with <paramref name="replyTo"/>'s bytes in one write; <c>quit</c> gets <c>0 OK</c> and a close.</summary>
    public static ScriptedServer Answering(Func<string, string> replyTo) => Start(async connection =>
    {
        for (var request = await connection.ReadRequestAsync(); request is not null; request = await connection.ReadRequestAsync())
        {
            if (request == Command.Quit.Name())
            {
                await connection.SendAsync(StatusCode.Ok.StatusLineText());
                return;
            }

            await connection.SendAsync(replyTo(request));
        }
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        await Task.WhenAll([_accepting, .. _scripts]).WaitAsync(TestTimeouts.Reply);
        _stop.Dispose();
    }

    private async Task AcceptAsync(Func<ScriptedConnection, Task> script)
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                socket.NoDelay = true; // each scripted segment leaves in its own packet
                var connection = new ScriptedConnection(socket, _stop.Token);
                _connections.Enqueue(connection);
                _scripts.Enqueue(RunAsync(script, connection));
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException
            or InvalidOperationException)
        {
            // Stopped (a listener stopped between two accepts says "not listening").
        }
    }

    // The client hanging up, or the test stopping the server, ends a script; nothing to report.
    private static async Task RunAsync(Func<ScriptedConnection, Task> script, ScriptedConnection connection)
    {
        try
        {
            await script(connection);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            connection.Dispose();
        }
    }
}
