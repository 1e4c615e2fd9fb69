using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Hftp.Testing;

namespace Hftp.Deploy.Tests;

/// <summary>
/// HAProxy in the foreground, run with the shipped deploy/haproxy.cfg made to listen on a free loopback port and to
/// balance the given backends, exactly as deploy/scale-out.sh rewrites it. Disposing it kills it by its PID.
/// </summary>
internal sealed partial class HaproxyProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly ConcurrentQueue<string> _output = new();

    private HaproxyProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string Output => string.Join('\n', _output);

    public static string? FindExecutable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Select(directory => Path.Combine(directory, "haproxy"))
            .FirstOrDefault(File.Exists);

    /// <summary>Starts HAProxy in front of <paramref name="backendPorts"/>; <paramref name="serverOptions"/> go on every server line.</summary>
    public static async Task<HaproxyProcess> StartAsync(IReadOnlyList<int> backendPorts, string serverOptions, TimeSpan timeout)
    {
        var directory = Directory.CreateTempSubdirectory("hftp-haproxy-").FullName;
        var port = FreePort();
        var lines = File.ReadAllLines(Repository.PathOf("deploy/haproxy.cfg"))
            .Where(line => !ServerLine().IsMatch(line))
            .Select(line => BindLine().Replace(line, "${bind}" + port.ToString(CultureInfo.InvariantCulture)))
            .Concat(backendPorts.Select((backend, index) => string.Create(
                CultureInfo.InvariantCulture, $"    server hftp{index + 1} 127.0.0.1:{backend} check {serverOptions}")));
        var config = Path.Combine(directory, "haproxy.cfg");
        File.WriteAllLines(config, lines);

        var info = new ProcessStartInfo(FindExecutable() ?? "haproxy", ["-db", "-f", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var haproxy = new HaproxyProcess(Process.Start(info)!, directory, port);
        if (!await Eventually.HoldsAsync(() => haproxy.IsListening() || haproxy._process.HasExited, timeout) || haproxy._process.HasExited)
        {
            var output = haproxy.Output;
            haproxy.Dispose();
            throw new InvalidOperationException($"haproxy did not start listening: {output}");
        }

        return haproxy;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(TestTimeouts.Process);
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    // A listening socket shows in /proc/net/tcp (state 0A) without connecting to it, which HAProxy would relay.
    private bool IsListening()
    {
        var hexPort = Port.ToString("X4", CultureInfo.InvariantCulture);
        return File.ReadLines("/proc/net/tcp").Skip(1).Any(line =>
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 3 && fields[1] == $"0100007F:{hexPort}" && fields[3] == "0A";
        });
    }

    // The kernel's pick of a free port; a moment free before HAProxy binds it, which on loopback is enough.
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    [GeneratedRegex(@"^\s*server\s")]
    private static partial Regex ServerLine();

    [GeneratedRegex(@"(?<bind>^\s*bind 127\.0\.0\.1:)\d+")]
    private static partial Regex BindLine();
}
