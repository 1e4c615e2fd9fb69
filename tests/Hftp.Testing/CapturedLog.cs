using System.Collections.Concurrent;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace Hftp.Testing;

/// <summary>A Serilog sink that keeps every event, so tests can assert what the server logged.</summary>
public sealed class CapturedLog : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyCollection<LogEvent> Events => _events;

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public bool Contains(LogEventLevel level, string fragment) =>
        _events.Any(e => e.Level == level && e.RenderMessage(CultureInfo.InvariantCulture).Contains(fragment, StringComparison.Ordinal));
}
