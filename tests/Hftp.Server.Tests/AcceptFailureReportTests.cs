using System.Net.Sockets;
using Hftp.Server.Networking;
using Hftp.Testing;
using Serilog;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>Failures to take a connection come in floods: one warning when they start, one line when they end.</summary>
public sealed class AcceptFailureReportTests
{
    [Fact]
    public void AFloodOfFailuresIsOneWarningAndTheEndIsOneLine()
    {
        var log = new CapturedLog();
        using var logger = new LoggerConfiguration().MinimumLevel.Is(LogEventLevel.Debug).WriteTo.Sink(log).CreateLogger();
        var report = new AcceptFailureReport(logger, TimeSpan.FromHours(1), TimeProvider.System);

        for (var failure = 0; failure < 500; failure++)
        {
            report.Failed(new SocketException((int)SocketError.TooManyOpenSockets).Message);
        }

        report.Succeeded();
        report.Succeeded();

        Assert.Single(log.Events, e => e.Level == LogEventLevel.Warning && CapturedLog.Text(e).StartsWith("Cannot accept new connections", StringComparison.Ordinal));
        Assert.Single(log.Events, e => e.Level == LogEventLevel.Information && CapturedLog.Text(e).StartsWith("Accepting connections again after 500 failures", StringComparison.Ordinal));
        Assert.Equal(2, log.Events.Count);
    }
}
