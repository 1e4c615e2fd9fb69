using Hftp.Cli;

namespace Hftp.Client.Tests;

/// <summary>Runs the <c>hftp</c> command in-process with captured output, from a given working directory's paths.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static async Task<CliRun> InvokeWithInputAsync(string input, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = new StringReader(input);
        var exitCode = await CliCommand.InvokeAsync(args, new CliConsole(output, error, reader, ErrorIsTerminal: false));
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public static Task<CliRun> InvokeAsync(params string[] args) => InvokeWithInputAsync(string.Empty, args);
}
