using System.CommandLine;

namespace Hftp.CommandLine;

/// <summary>How a tool reports a bad command line: one line per error, then where help is, never the whole help text.</summary>
public static class ParseErrors
{
    /// <summary>The exit code of a bad command line (System.CommandLine's own convention).</summary>
    public const int ExitCode = 1;

    /// <summary>Writes <c>TOOL: message</c> for each error and a pointer to <c>TOOL --help</c>; returns <see cref="ExitCode"/>.</summary>
    public static async Task<int> WriteAsync(ParseResult parseResult, string tool, TextWriter error)
    {
        foreach (var parseError in parseResult.Errors)
        {
            await error.WriteLineAsync($"{tool}: {parseError.Message}");
        }

        await error.WriteLineAsync($"Try '{tool} --help' for more information.");
        return ExitCode;
    }
}
