using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Hftp.Testing;

namespace Hftp.Deploy.Tests;

/// <summary>
/// The shipped deploy/scale-out.sh run as an operator runs it, with the server built beside the tests (or
/// HFTP_SERVER_EXE), on a block of free loopback ports. Disposing it kills whatever it left, by PID.
/// </summary>
internal sealed partial class ScaleOutScript : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ScaleOutScript(Process process, int port)
    {
        _process = process;
        Port = port;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Where HAProxy listens; the instances are on the ports after it.</summary>
    public int Port { get; }

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the script and waits until it says HAProxy serves.</summary>
    public static async Task<ScaleOutScript> StartAsync(int instances, string directory, TimeSpan timeout)
    {
        var port = FreePortBlock(instances + 1);
        var published = Environment.GetEnvironmentVariable("HFTP_SERVER_EXE");
        var info = new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                Repository.PathOf("deploy/scale-out.sh"), "-n", instances.ToString(CultureInfo.InvariantCulture),
                "-p", port.ToString(CultureInfo.InvariantCulture), "-d", directory,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["HFTP_SERVER"] = string.IsNullOrEmpty(published) ? Path.Combine(AppContext.BaseDirectory, "hftp-server.dll") : published;
        info.Environment["PATH"] = $"{Environment.GetEnvironmentVariable("PATH")}:/usr/sbin"; // where Debian puts haproxy
        var script = new ScaleOutScript(Process.Start(info)!, port);
        if (!await Eventually.HoldsAsync(() => script.Output.Contains("; serving;", StringComparison.Ordinal) || script.HasExited, timeout)
            || script.HasExited)
        {
            var output = script.Output;
            script.Dispose();
            throw new InvalidOperationException($"scale-out.sh did not start serving: {output}");
        }

        return script;
    }

    /// <summary>The instances it started, from its "hftpN pid PID on ..., log PATH" lines.</summary>
    public IReadOnlyList<(int Pid, string Log)> Instances =>
        [.. _output.Select(line => InstanceLine().Match(line)).Where(match => match.Success)
            .Select(match => (int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture), match.Groups["log"].Value))];

    public int HaproxyPid => int.Parse(HaproxyLine().Match(Output).Groups["pid"].Value, CultureInfo.InvariantCulture);

    /// <summary>Sends SIGTERM, as Ctrl+C's sibling does, and waits (bounded) for the script to end.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            kill.WaitForExit(timeout);
        }

        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit(); // drains the redirected output
        return true;
    }

    public void Dispose()
    {
        foreach (var pid in Instances.Select(instance => instance.Pid).Append(SafeHaproxyPid()))
        {
            StopIfAlive(pid);
        }

        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(TestTimeouts.Process);
        }

        // The script keeps its logs for the operator; the test's are in the folder its first instance logs to.
        if (Instances.Count > 0 && Path.GetDirectoryName(Instances[0].Log) is { } state && Directory.Exists(state))
        {
            Directory.Delete(state, recursive: true);
        }

        _process.Dispose();
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private int SafeHaproxyPid() => HaproxyLine().Match(Output) is { Success: true } match
        ? int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture)
        : 0;

    private static void StopIfAlive(int pid)
    {
        if (pid > 0 && IsAlive(pid))
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(TestTimeouts.Process);
        }
    }

    // PORT for HAProxy and PORT+1 ... for the instances: a block of loopback ports free a moment ago.
    private static int FreePortBlock(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Random.Shared.Next(20_000, 30_000);
            var listeners = new List<TcpListener>();
            try
            {
                for (var port = first; port < first + count; port++)
                {
                    var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                    listeners.Add(listener);
                }

                return first;
            }
            catch (SocketException)
            {
                // taken: try another block
            }
            finally
            {
                listeners.ForEach(listener => listener.Stop());
            }
        }

        throw new InvalidOperationException($"no {count} consecutive free loopback ports");
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    [GeneratedRegex(@"^scale-out\.sh: hftp\d+ pid (?<pid>\d+) on 127\.0\.0\.1:\d+, log (?<log>\S+)$")]
    private static partial Regex InstanceLine();

    [GeneratedRegex(@"scale-out\.sh: haproxy pid (?<pid>\d+) on ")]
    private static partial Regex HaproxyLine();
}
