using System.Diagnostics;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>How tests start the real <c>hftp</c> (hftp.dll built beside them) as a child process.</summary>
internal static class HftpCommandLine
{
    /// <summary><c>dotnet hftp.dll ARGS</c>, through <see cref="DefaultInterrupt.Launcher"/>, so a test's Ctrl+C arrives.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var command = new List<string>(DefaultInterrupt.Launcher) { "dotnet", Path.Combine(AppContext.BaseDirectory, "hftp.dll") };
        command.AddRange(args);
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var part in command.Skip(1))
        {
            info.ArgumentList.Add(part);
        }

        return info;
    }
}
