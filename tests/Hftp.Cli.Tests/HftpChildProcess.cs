using System.Diagnostics;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// Runs the real <c>hftp</c> as a child process to its end, with a chosen proxy environment and, optionally, under a
/// wrapper such as <c>torsocks</c>. The proxy variables a developer's shell may hold are cleared unless given.
/// </summary>
internal static class HftpChildProcess
{
    private static readonly string[] ProxyVariables = ["all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), wrapper: null, args);

    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, string? wrapper, params string[] args)
    {
        var info = HftpCommandLine.StartInfo(args);
        if (wrapper is not null)
        {
            info.ArgumentList.Insert(0, info.FileName);
            info.FileName = wrapper;
        }

        foreach (var variable in ProxyVariables)
        {
            info.Environment.Remove(variable);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TestTimeouts.Transfer);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
            Assert.Fail($"hftp {string.Join(' ', args)} did not end within {TestTimeouts.Transfer.TotalSeconds} s: {await error}");
        }

        return new CliRun(process.ExitCode, await output, await error);
    }
}
