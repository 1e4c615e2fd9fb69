using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// A real SOCKS5 server from a Debian package, on a free loopback port with its own temporary configuration:
/// microsocks, or Dante's danted. Disposing it stops it by its PID (SIGTERM, then SIGKILL if it lingers).
/// </summary>
internal sealed class SocksServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly ConcurrentQueue<string> _output = new();

    private SocksServerProcess(ProcessStartInfo info, string directory, int port)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>What it printed so far: microsocks prints a line per connection, naming where it connected.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary><c>microsocks -i 127.0.0.1 -p PORT</c>, with <c>-u USER -P PASSWORD</c> when given.</summary>
    public static Task<SocksServerProcess> StartMicrosocksAsync(string? user = null, string? password = null)
    {
        var port = FreePort.OnLoopback();
        var info = new ProcessStartInfo(ProxyTools.Require("microsocks"), ["-i", "127.0.0.1", "-p", Text(port)]);
        if (user is not null)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(user);
            info.ArgumentList.Add("-P");
            info.ArgumentList.Add(password ?? string.Empty);
        }

        return StartAsync(info, Directory.CreateTempSubdirectory("hftp-microsocks-").FullName, port);
    }

    /// <summary>
    /// danted on 127.0.0.1, without authentication, that lets clients on loopback CONNECT to 127.0.0.1 port
    /// <paramref name="allowedPort"/> only, and blocks every other destination by rule (SOCKS reply 2).
    /// </summary>
    public static Task<SocksServerProcess> StartDanteAsync(int allowedPort)
    {
        var port = FreePort.OnLoopback();
        var directory = Directory.CreateTempSubdirectory("hftp-danted-").FullName;
        var config = Path.Combine(directory, "danted.conf");
        File.WriteAllText(config, $$"""
            logoutput: stderr
            internal: 127.0.0.1 port = {{Text(port)}}
            external: 127.0.0.1
            clientmethod: none
            socksmethod: none
            user.privileged: root
            user.unprivileged: nobody
            client pass {
                from: 127.0.0.0/8 to: 0.0.0.0/0
            }
            socks pass {
                from: 127.0.0.0/8 to: 127.0.0.1/32 port = {{Text(allowedPort)}}
                command: connect
            }
            socks block {
                from: 0.0.0.0/0 to: 0.0.0.0/0
            }
            """);
        return StartAsync(new ProcessStartInfo(ProxyTools.Require("danted"), ["-f", config]), directory, port);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            // SIGTERM lets danted tell its child processes to go; SIGKILL only if it does not end.
            using (var terminate = Process.Start(new ProcessStartInfo("kill", ["-TERM", Text(_process.Id)]) { UseShellExecute = false })!)
            {
                terminate.WaitForExit(TestTimeouts.Process);
            }

            if (!_process.WaitForExit(TestTimeouts.Reply))
            {
                _process.Kill();
                _process.WaitForExit(TestTimeouts.Process);
            }
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task<SocksServerProcess> StartAsync(ProcessStartInfo info, string directory, int port)
    {
        var server = new SocksServerProcess(info, directory, port);
        if (!await server.WaitUntilListeningAsync(TestTimeouts.Process))
        {
            var output = server.Output;
            server.Dispose();
            throw new InvalidOperationException($"{info.FileName} did not start listening on port {port}: {output}");
        }

        return server;
    }

    // Listening once a connection is accepted; a connection that says nothing and closes is harmless to both servers.
    private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (!_process.HasExited && Stopwatch.GetElapsedTime(started) < timeout)
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port));
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }

        return false;
    }

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
