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
    public static ServerProcess Start(params string[] arguments) => Start(stallOutput: false, arguments);

    /// <summary>As <see cref="Start(string[])"/>, with these environment variables set for the server.</summary>
    public static ServerProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        Start(stallOutput: false, arguments, launcher: null, environment);

    /// <summary>
    /// As <see cref="Start(string[])"/>, under a hard open-file limit from its first instruction (prlimit --nofile),
    /// so the limits the server reads at start already include it.
    /// </summary>
    public static ServerProcess StartWithFileLimit(int fileLimit, params string[] arguments) =>
        Start(stallOutput: false, arguments, ["prlimit", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--nofile={fileLimit}:{fileLimit}"), "--"]);

    /// <summary>True when this process runs as root, for whom file permissions do not stop reading.</summary>
    public static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>
    /// Starts the server as an unprivileged user (nobody, through setpriv, when the tests run as root), so that
    /// file permissions apply to it as they do to a deployed server.
    /// </summary>
    public static ServerProcess StartUnprivileged(params string[] arguments) => StartUnprivileged(new Dictionary<string, string>(), arguments);

    /// <summary>As <see cref="StartUnprivileged(string[])"/>, with these environment variables set for the server.</summary>
    public static ServerProcess StartUnprivileged(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        RunningAsRoot
            ? Start(stallOutput: false, arguments, ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"], environment, BuildReadableByAll.Value)
            : Start(stallOutput: false, arguments, launcher: null, environment);

    // The build folder may sit where nobody cannot reach it (a checkout under a 0700 temporary folder, say): the
    // unprivileged server runs from a copy of it that every user can read, made once per test run.
    private static readonly Lazy<string> BuildReadableByAll = new(CopyBuildForEveryone);

    private static string CopyBuildForEveryone()
    {
        if (OperatingSystem.IsWindows())
        {
            return AppContext.BaseDirectory;
        }

        var copy = Directory.CreateTempSubdirectory("hftp-server-build-").FullName;
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory))
        {
            var target = Path.Combine(copy, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(copy, recursive: true);
        return copy;
    }

    /// <summary>
    /// Starts the server with its standard output a pipe that nobody reads past the startup line (see
    /// <see cref="WaitForPortAsync"/>): once the pipe's buffer (64 KiB) is full, every write to it blocks.
    /// </summary>
    public static ServerProcess StartWithStalledOutput(params string[] arguments) => Start(stallOutput: true, arguments);

    /// <summary>
    /// Lowers the running server's open-file limit (prlimit --pid): the limits it read at start then no longer hold,
    /// as when an administrator lowers them or descriptors run short, so the server meets the limit itself.
    /// </summary>
    public void LowerFileLimit(int fileLimit)
    {
        var info = new ProcessStartInfo("prlimit") { UseShellExecute = false };
        info.ArgumentList.Add("--pid");
        info.ArgumentList.Add(Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"--nofile={fileLimit}:{fileLimit}"));
        using var prlimit = Process.Start(info) ?? throw new InvalidOperationException("prlimit did not start");
        if (!prlimit.WaitForExit(TestTimeouts.Process) || prlimit.ExitCode != 0)
        {
            throw new InvalidOperationException("prlimit could not lower the server's file limit");
        }
    }

    private static ServerProcess Start(
        bool stallOutput, string[] arguments, string[]? launcher = null, IReadOnlyDictionary<string, string>? environment = null,
        string? serverDirectory = null)
    {
        var published = Environment.GetEnvironmentVariable("HFTP_SERVER_EXE");
        var command = new List<string>(DefaultInterrupt.Launcher);
        command.AddRange(launcher ?? []);
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
            info.ArgumentList.Add(Path.Combine(serverDirectory ?? AppContext.BaseDirectory, "hftp-server.dll"));
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
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
    public void Terminate() => Signal("TERM");

    /// <summary>Sends a signal by name (HUP, INT, TERM...), as <c>kill -NAME PID</c> does.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit(TestTimeouts.Process);
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TestTimeouts.Process);
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
