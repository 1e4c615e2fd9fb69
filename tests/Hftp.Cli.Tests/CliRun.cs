using Hftp.Cli;

namespace Hftp.Cli.Tests;

/// <summary>Runs the <c>hftp</c> command in-process with captured output, from a given working directory's paths.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static async Task<CliRun> InvokeWithInputAsync(string input, CancellationToken cancellationToken, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var reader = new StringReader(input);
        var exitCode = await CliCommand.InvokeAsync(args, new CliConsole(TextWriter.Synchronized(output), TextWriter.Synchronized(error), reader, ErrorIsTerminal: false), cancellationToken);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public static Task<CliRun> InvokeWithInputAsync(string input, params string[] args) => InvokeWithInputAsync(input, CancellationToken.None, args);

    public static Task<CliRun> InvokeAsync(params string[] args) => InvokeWithInputAsync(string.Empty, CancellationToken.None, args);

    /// <summary>Runs until <paramref name="cancellationToken"/> fires, as Ctrl+C would stop it.</summary>
    public static Task<CliRun> InvokeUntilAsync(CancellationToken cancellationToken, params string[] args) =>
        InvokeWithInputAsync(string.Empty, cancellationToken, args);
}
