namespace Hftp.Cli;

/// <summary>Where the tool reads and writes; the real console in use, plain writers in tests.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, bool ErrorIsTerminal)
{
    /// <summary>Where bytes written as they are (<c>get -o -</c>, <c>ls --raw-names</c>) go; standard output unless set.</summary>
    public Func<Stream> OpenStandardOutput { get; init; } = Console.OpenStandardOutput;

    public static CliConsole System => new(Console.Out, Console.Error, Console.In, !Console.IsErrorRedirected);
}
