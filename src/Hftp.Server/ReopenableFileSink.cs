using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Hftp.Server;

/// <summary>A log file (Serilog.Sinks.File) reopened by its path on SIGHUP, so after logrotate (or an operator) moved
/// it away the server writes a new one. Events come from one background thread, a reopen from any.</summary>
internal sealed class ReopenableFileSink : ILogEventSink, IDisposable
{
    private readonly ITextFormatter _formatter;
    private readonly Lock _lock = new();
    private Logger _file;

    /// <summary>Opens (or creates) the file now: a path that cannot be written is an error at start.</summary>
    public ReopenableFileSink(string path, ITextFormatter formatter)
    {
        Path = path;
        _formatter = formatter;
        _file = Open();
    }

    public string Path { get; }

    public void Emit(LogEvent logEvent)
    {
        lock (_lock)
        {
            _file.Write(logEvent);
        }
    }

    /// <summary>Closes the file and opens its path again; if that fails, keeps writing to the file it had.</summary>
    public void Reopen()
    {
        lock (_lock)
        {
            var reopened = Open();
            _file.Dispose();
            _file = reopened;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _file.Dispose();
        }
    }

    // A logger of its own around the file sink: Serilog.Sinks.File makes its sink type reachable only that way. That
    // sink swallows a failure to open and writes nowhere, so the file is opened here first, to fail out loud.
    private Logger Open()
    {
        new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete).Dispose();
        return new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.File(_formatter, Path).CreateLogger();
    }
}
