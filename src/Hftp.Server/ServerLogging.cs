using System.Globalization;
using Serilog;
using Serilog.Configuration;
using Serilog.Events;

namespace Hftp.Server;

/// <summary>The server's console log: one line per event, read top to bottom like the lab's example session.</summary>
public static class ServerLogging
{
    public const string OutputTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    /// <summary>Events waiting for a slow console before new ones are dropped (Serilog.Sinks.Async's own default).</summary>
    public const int DefaultBufferSize = 10_000;

    /// <summary>How often dropped events are counted into one warning line.</summary>
    public static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(2);

    /// <summary>How long the exit waits for the console to take the last lines (System.CommandLine allows 2 s after SIGTERM).</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The console behind a bounded queue and a writer thread of its own: a console nobody reads (a full pipe)
    /// costs dropped lines, counted and reported, but never blocks the accept loop or a connection.
    /// </summary>
    public static BoundedLog CreateConsoleLog(LogEventLevel minimumLevel, int bufferSize = DefaultBufferSize) =>
        new(minimumLevel, bufferSize, WriteToConsole, DropReportInterval, FlushTimeout);

    private static void WriteToConsole(LoggerSinkConfiguration sink) =>
        sink.Console(outputTemplate: OutputTemplate, formatProvider: CultureInfo.InvariantCulture);
}
