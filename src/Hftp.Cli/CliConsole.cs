namespace Hftp.Cli;

/// <summary>Where the tool reads and writes; the real console in use, plain writers in tests.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, bool ErrorIsTerminal)
{
    public static CliConsole System => new(Console.Out, Console.Error, Console.In, !Console.IsErrorRedirected);
}
