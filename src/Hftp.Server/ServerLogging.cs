using System.Globalization;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Hftp.Server;

/// <summary>The server's console log: one line per event, read top to bottom like the lab's example session.</summary>
public static class ServerLogging
{
    public const string OutputTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    public static Logger CreateConsoleLogger(LogEventLevel minimumLevel) =>
        new LoggerConfiguration()
            .MinimumLevel.Is(minimumLevel)
            .WriteTo.Console(outputTemplate: OutputTemplate, formatProvider: CultureInfo.InvariantCulture)
            .CreateLogger();
}
