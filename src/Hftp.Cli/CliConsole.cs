using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli;

/// <summary>Where the tool reads and writes; the real console in use, plain writers in tests.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, bool ErrorIsTerminal)
{
    /// <summary>Where bytes written as they are (<c>get -o -</c>, <c>ls --raw-names</c>) go; standard output unless set.</summary>
    public Func<Stream> OpenStandardOutput { get; init; } = OpenStandardOutputReportingBrokenPipe;

    public static CliConsole System => new(Console.Out, Console.Error, Console.In, !Console.IsErrorRedirected);

    // .NET's console stream drops what is written to a pipe whose reader has gone (EPIPE), so `hftp get -o - | head`
    // would exit 0 and say "saved". A pipe, socket or terminal is written through its descriptor instead, which
    // reports it; a regular file keeps the console stream, whose writes move the offset it shares with the shell.
    private static Stream OpenStandardOutputReportingBrokenPipe()
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                var stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
                if (!stream.CanSeek)
                {
                    return stream;
                }

                stream.Dispose();
            }
            catch (Exception exception) when (exception is IOException or ArgumentException or UnauthorizedAccessException)
            {
                // Not a descriptor a FileStream takes: the console stream it is.
            }
        }

        return Console.OpenStandardOutput();
    }
}
