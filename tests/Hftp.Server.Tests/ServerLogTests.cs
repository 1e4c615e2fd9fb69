using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipes;
using Hftp.Testing;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Hftp.Server.Tests;

/// <summary>The log's bounded queue, writing to a real pipe that the test reads only when it chooses.</summary>
public sealed class ServerLogTests : IDisposable
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    private readonly AnonymousPipeServerStream _pipeWriteEnd = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream _pipeReadEnd;
    private readonly StreamWriter _console;

    public ServerLogTests()
    {
        _pipeReadEnd = new AnonymousPipeClientStream(PipeDirection.In, _pipeWriteEnd.ClientSafePipeHandle);
        _console = new StreamWriter(_pipeWriteEnd) { AutoFlush = true };
    }

    public void Dispose()
    {
        _pipeReadEnd.Dispose();
        _pipeWriteEnd.Dispose();
    }

    [Fact]
    public async Task EventsBeyondTheBufferAreDroppedCountedAndReportedOnceTheConsoleIsReadAgain()
    {
        using var log = CreateLog(bufferSize: 100);

        // The pipe holds 64 KiB and the queue 100 events: 5,000 lines of ~100 bytes cannot all wait. Blocked
        // logging would never finish; the bound only keeps a failing run short.
        const int events = 5000;
        var logging = Task.Run(() =>
        {
            for (var index = 0; index < events; index++)
            {
                log.Logger.Information("Event {Index} padded to about a hundred bytes ..................................", index);
            }
        });
        await logging.WaitAsync(Bound);
        Assert.True(log.DroppedEvents > 0);

        var lines = ReadConsoleInBackground();
        var report = $"Dropped {log.DroppedEvents} log events: the console was not being read";
        Assert.True(await Eventually.HoldsAsync(() => lines.Any(line => line.Contains(report, StringComparison.Ordinal)), Bound), report);
        Assert.Equal(events - log.DroppedEvents, lines.Count(line => line.Contains("] Event ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DisposingWhileNobodyReadsTheConsoleEndsWithinTheFlushTimeout()
    {
        var log = CreateLog(bufferSize: 100);
        for (var index = 0; index < 2000; index++)
        {
            log.Logger.Information("Event {Index} padded to about a hundred bytes ..................................", index);
        }

        // Nobody reads: past the pipe's capacity and the queue of 100, events are dropped and counted, and disposing
        // ends (bounded by the flush timeout) instead of waiting for a reader for ever.
        await Task.Run(log.Dispose).WaitAsync(Bound);
        Assert.True(log.DroppedEvents > 0, "every event fit in the pipe and a queue of 100");
    }

    private ServerLog CreateLog(int bufferSize) => new(
        LogEventLevel.Information,
        bufferSize,
        sink => sink.Sink(new PipeSink(_console)),
        reportInterval: TimeSpan.FromMilliseconds(100),
        flushTimeout: TimeSpan.FromSeconds(1));

    private ConcurrentQueue<string> ReadConsoleInBackground()
    {
        var lines = new ConcurrentQueue<string>();
        var reader = new StreamReader(_pipeReadEnd);
        _ = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    lines.Enqueue(line);
                }
            }
            catch (IOException)
            {
                // the test ended and closed the pipe
            }
        });
        return lines;
    }

    /// <summary>Writes each event as the console sink would, to a pipe: a write blocks while the pipe is full.</summary>
    private sealed class PipeSink(TextWriter pipe) : ILogEventSink
    {
        private readonly MessageTemplateTextFormatter _formatter = new(ServerLog.OutputTemplate, CultureInfo.InvariantCulture);

        public void Emit(LogEvent logEvent) => _formatter.Format(logEvent, pipe);
    }
}
