using System.Diagnostics;
using System.Globalization;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// The real <c>hftp</c> command (hftp.dll built beside the tests) run as a child process, so a test can send it
/// SIGINT or SIGKILL as a user or the system would. Disposing it kills it by its PID if it still runs.
/// </summary>
internal sealed class HftpProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _error;
    private readonly Task<string> _output;

    private HftpProcess(Process process)
    {
        _process = process;
        _error = process.StandardError.ReadToEndAsync();
        _output = process.StandardOutput.ReadToEndAsync();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static HftpProcess Start(params string[] args)
    {
        var info = HftpCommandLine.StartInfo(args);
        info.RedirectStandardError = true;
        info.RedirectStandardOutput = true;

        return new HftpProcess(Process.Start(info)!);
    }

    /// <summary>Sends a signal (INT as Ctrl+C does, KILL as the OOM killer would) and waits for the process to end.</summary>
    public async Task SignalAsync(string signal)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        await WaitForExitAsync();
    }

    /// <summary>Waits (bounded) for the process to end and returns its stderr.</summary>
    public async Task<string> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Transfer);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            Assert.Fail($"hftp did not end within {TestTimeouts.Transfer.TotalSeconds} s");
        }

        await _output;
        return await _error;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(TestTimeouts.Process);
        }

        _process.Dispose();
    }
}
