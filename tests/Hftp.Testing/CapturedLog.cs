using System.Collections.Concurrent;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Hftp.Testing;

/// <summary>A Serilog sink that keeps every event, so tests can assert what the server logged.</summary>
public sealed class CapturedLog : ILogEventSink
{
    private static readonly MessageTemplateTextFormatter ConsoleMessage = new("{Message:lj}", CultureInfo.InvariantCulture);

    private readonly ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyCollection<LogEvent> Events => _events;

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public bool Contains(LogEventLevel level, string fragment) =>
        _events.Any(e => e.Level == level && e.RenderMessage(CultureInfo.InvariantCulture).Contains(fragment, StringComparison.Ordinal));

    /// <summary>True when an event of <paramref name="level"/> reads, as the console shows it, with <paramref name="fragment"/> in it.</summary>
    public bool ContainsText(LogEventLevel level, string fragment) =>
        _events.Any(e => e.Level == level && Text(e).Contains(fragment, StringComparison.Ordinal));

    /// <summary>An event's message as the console shows it: strings unquoted.</summary>
    public static string Text(LogEvent logEvent)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        ConsoleMessage.Format(logEvent, writer);
        return writer.ToString();
    }
}
