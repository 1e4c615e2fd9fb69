using System.Globalization;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public sealed class TimeoutWarningTests
{
    private const int Clients = 40;

    // What is asserted is how the timeouts are logged, not how promptly they close (TimeoutTests): a generous bound,
    // since 40 connections closing at once can wait on a test host busy with other classes' thousands of connections.
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    [Fact]
    public async Task ManyIdleTimeoutsAtOnceAreSummarizedNotWarnedOneByOne()
    {
        using var server = TestServer.Start(options => options with { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        var clients = Enumerable.Range(0, Clients).Select(_ => server.Connect()).ToList();
        try
        {
            await Task.WhenAll(clients.Select(client => client.ExpectClosedAsync(Bound)));

            // Every connection still has its own closing line; the warnings add up to every timeout, in fewer lines.
            Assert.True(await Eventually.HoldsAsync(() => Count(server.Log, LogEventLevel.Information, "(IdleTimeout)") == Clients, Bound), $"{Count(server.Log, LogEventLevel.Information, "(IdleTimeout)")} closed by the idle timeout");
            Assert.True(await Eventually.HoldsAsync(() => WarnedTimeouts(server.Log) == Clients, Bound), $"warned {WarnedTimeouts(server.Log)} timeouts");
            var lines = Count(server.Log, LogEventLevel.Warning, "idle timeout");
            Assert.True(lines < Clients / 2, $"{lines} warning lines for {Clients} timeouts");
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    private static int Count(CapturedLog log, LogEventLevel level, string fragment) =>
        log.Events.Count(e => e.Level == level && e.RenderMessage(CultureInfo.InvariantCulture).Contains(fragment, StringComparison.Ordinal));

    // A line naming one client counts one; a summary counts the connections it names.
    private static int WarnedTimeouts(CapturedLog log) => log.Events
        .Where(e => e.Level == LogEventLevel.Warning && e.RenderMessage(CultureInfo.InvariantCulture).Contains("idle timeout", StringComparison.Ordinal))
        .Sum(e => e.Properties.TryGetValue("IdleTimeouts", out var count)
            ? int.Parse(count.ToString(), CultureInfo.InvariantCulture)
            : 1);
}
