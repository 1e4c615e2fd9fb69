using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Hftp.Testing;

/// <summary>
/// The real <c>hftp-server</c> executable, run as its own process (from the test's output folder) with
/// its output captured. Disposing it kills the process by its PID if it is still running.
/// </summary>
public sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _error = new();
    private readonly bool _outputStalled;

    private ServerProcess(Process process, bool stallOutput)
    {
        _process = process;
        _outputStalled = stallOutput;
        _process.ErrorDataReceived += (_, e) => Keep(_error, e.Data);
        _process.BeginErrorReadLine();
        if (!stallOutput)
        {
            _process.OutputDataReceived += (_, e) => Keep(_output, e.Data);
            _process.BeginOutputReadLine();
        }
    }

    public int Id => _process.Id;

    public string Output => string.Join('\n', _output);

    public string Error => string.Join('\n', _error);

    /// <summary>
    /// Starts the server built beside the tests, or the executable named by HFTP_SERVER_EXE (a Native AOT or
    /// ReadyToRun publish, say), so the same process tests check a published build.
    /// </summary>
    public static ServerProcess Start(params string[] arguments) => Start(stallOutput: false, fileLimit: null, arguments);

    /// <summary>True when this process runs as root, for whom file permissions do not stop reading.</summary>
    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>
    /// Starts the server as an unprivileged user (nobody, through setpriv, when the tests run as root), so that
    /// file permissions apply to it as they do to a deployed server.
    /// </summary>
    public static ServerProcess StartUnprivileged(params string[] arguments) =>
        RunningAsRoot ? Start(stallOutput: false, fileLimit: null, arguments, ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            : Start(arguments);

    /// <summary>
    /// Starts the server with its standard output a pipe that nobody reads past the startup line (see
    /// <see cref="WaitForPortAsync"/>): once the pipe's buffer (64 KiB) is full, every write to it blocks.
    /// </summary>
    public static ServerProcess StartWithStalledOutput(params string[] arguments) => Start(stallOutput: true, fileLimit: null, arguments);

    /// <summary>Starts the server allowed at most <paramref name="fileLimit"/> open file descriptors (prlimit).</summary>
    public static ServerProcess StartWithFileLimit(int fileLimit, params string[] arguments) => Start(stallOutput: false, fileLimit, arguments);

    private static ServerProcess Start(bool stallOutput, int? fileLimit, string[] arguments, string[]? launcher = null)
    {
        var published = Environment.GetEnvironmentVariable("HFTP_SERVER_EXE");
        var command = new List<string>(launcher ?? []);
        if (fileLimit is { } limit)
        {
            command.AddRange(["prlimit", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--nofile={limit}:{limit}"), "--"]);
        }

        command.Add(string.IsNullOrEmpty(published) ? "dotnet" : published);
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var part in command.Skip(1))
        {
            info.ArgumentList.Add(part);
        }

        if (string.IsNullOrEmpty(published))
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hftp-server.dll"));
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return new ServerProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"), stallOutput);
    }

    /// <summary>Waits for the startup log line and returns the port it names.</summary>
    public async Task<int> WaitForPortAsync(TimeSpan timeout)
    {
        if (_outputStalled)
        {
            return await ReadOutputUntilPortAsync(timeout);
        }

        int? port = null;
        var found = await Eventually.HoldsAsync(() => (port = FindPort()) is not null || _process.HasExited, timeout);
        return found && port is { } value
            ? value
            : throw new InvalidOperationException($"No 'Serving ... on' line; output: {Output}; errors: {Error}");
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit(); // drains the redirected output
        return true;
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Sends SIGTERM, as a service manager or <c>kill PID</c> does.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    /// <summary>Reads the stalled output again, from where it stopped, into <see cref="Output"/>.</summary>
    public void ResumeOutput()
    {
        var output = _process.StandardOutput;
        _ = Task.Run(async () =>
        {
            while (await output.ReadLineAsync() is { } line)
            {
                _output.Enqueue(line);
            }
        });
    }

    // Stalled output: read line by line only as far as the startup line, then leave the pipe unread.
    private async Task<int> ReadOutputUntilPortAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            while (await _process.StandardOutput.ReadLineAsync(cancellation.Token) is { } line)
            {
                _output.Enqueue(line);
                if (FindPort() is { } port)
                {
                    return port;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // reported below
        }

        throw new InvalidOperationException($"No 'Serving ... on' line; output: {Output}; errors: {Error}");
    }

    private int? FindPort()
    {
        foreach (var line in _output)
        {
            var match = ServingLine().Match(line);
            if (match.Success)
            {
                return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static void Keep(ConcurrentQueue<string> lines, string? line)
    {
        if (line is not null)
        {
            lines.Enqueue(line);
        }
    }

    [GeneratedRegex(@"Serving .* on .*:(\d+)$")]
    private static partial Regex ServingLine();
}
