using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// The short run of <c>bench/kill-stress.sh</c>: real <c>hftp get</c> processes killed (SIGKILL) as soon as each
/// download has begun (in even rounds, once its state records bytes, when it gets there first), against a real server, never exiting 0 with wrong bytes and always finishing byte-exact with
/// <c>--continue</c>. The long run (300 rounds, kills at random moments) is the script run by hand.
/// </summary>
public sealed class KillStressTests
{
    [Fact]
    public async Task KilledDownloadsNeverExitZeroWithWrongBytes()
    {
        var repository = new DirectoryInfo(AppContext.BaseDirectory);
        while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Hftp.sln")))
        {
            repository = repository.Parent;
        }

        Assert.NotNull(repository);
        var info = new ProcessStartInfo("bash", [Path.Combine(repository.FullName, "bench", "kill-stress.sh"), "4", "64"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["KILL_WHEN"] = "started";
        info.Environment["HFTP"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "hftp.dll")}";
        info.Environment["HFTP_SERVER"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "hftp-server.dll")}";
        using var script = Process.Start(info)!;
        var output = script.StandardOutput.ReadToEndAsync();
        var error = script.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TestTimeouts.Load);
        try
        {
            await script.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            script.Kill(entireProcessTree: true);
            Assert.Fail($"kill-stress.sh did not end within {TestTimeouts.Load.TotalSeconds} s");
        }

        Assert.True(script.ExitCode == 0, $"{await output}\n{await error}");
        var summary = await output;
        Assert.Contains("rounds=4 wrong_with_exit0=0 wrong_saved=0 unfinished=0", summary, StringComparison.Ordinal);
        // A kill that only ever hit finished downloads, or a client still starting, would test nothing: the script
        // stops each client before killing it and counts only states this attempt wrote, so this is what was on disk.
        var killedMid = Regex.Match(summary, @"killed_mid_download=(\d+)");
        Assert.True(killedMid.Success && int.Parse(killedMid.Groups[1].Value, CultureInfo.InvariantCulture) >= 1, summary);
    }
}
