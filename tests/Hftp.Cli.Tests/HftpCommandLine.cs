using System.Diagnostics;

namespace Hftp.Cli.Tests;

/// <summary>How tests start the real <c>hftp</c> (hftp.dll built beside them) as a child process.</summary>
internal static class HftpCommandLine
{
    /// <summary>
    /// <c>dotnet hftp.dll ARGS</c>, through <c>env --default-signal=INT</c>: a shell that starts a job in the
    /// background without job control (a CI runner, `cmd &amp;`) has its children ignore SIGINT, and .NET keeps
    /// an inherited SIG_IGN, so a test's Ctrl+C would never arrive. <c>env</c> execs, so the PID is hftp's own.
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("env") { UseShellExecute = false };
        info.ArgumentList.Add("--default-signal=INT");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hftp.dll"));
        foreach (var argument in args)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }
}
