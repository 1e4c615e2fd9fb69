using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Hftp.Server;

/// <summary>Runs the server from parsed options until SIGTERM or SIGINT, then drains. SIGHUP does not stop it: it reopens
/// the log file, if there is one, and says so. SIGQUIT stays the runtime's.</summary>
internal static class ServerRun
{
    public static async Task<int> RunAsync(ServerOptions options, LogSettings settings, CancellationToken cancellationToken)
    {
        ServerLog log;
        try
        {
            log = ServerLog.Create(settings);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"hftp-server: cannot open the log file {settings.File}: {exception.Message}");
            return ServerCommand.StartupFailed;
        }

        // Declared first, so disposed last: the server's last lines reach the log before it flushes.
        using var ownedLog = log;
        var logger = log.Logger;
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            ReopenLog(log);
        });
        using var server = new HftpServer(options, logger);
        try
        {
            server.Start();
        }
        catch (SocketException exception)
        {
            await Console.Error.WriteLineAsync(
                $"hftp-server: cannot listen on {new IPEndPoint(options.Address, options.Port)}: {exception.Message}");
            return ServerCommand.StartupFailed;
        }

        MetricsEndpoint? metrics;
        try
        {
            metrics = options.MetricsEndPoint is { } metricsEndPoint ? new MetricsEndpoint(metricsEndPoint, server.Metrics, logger) : null;
        }
        catch (SocketException exception)
        {
            await Console.Error.WriteLineAsync($"hftp-server: cannot serve metrics on {options.MetricsEndPoint}: {exception.Message}");
            return ServerCommand.StartupFailed;
        }

        using (metrics)
        {
            logger.Information("Serving {Directory} on {EndPoint}", server.Directory, server.LocalEndPoint);
            if (metrics is not null)
            {
                logger.Information("Metrics at {Uri}", metrics.Uri);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or SIGINT: the normal way to stop.
            }

            logger.Information("Shutting down: {Count} connections; replies under way get up to {Seconds:0.###} s to finish",
                server.ActiveConnections, options.ShutdownTimeout.TotalSeconds);
            var summary = server.Stop();
            logger.Information("Stopped: {Finished} replies finished, {Idle} idle closed, {Cut} cut", summary.FinishedReplies, summary.ClosedIdle, summary.Cut);
            return 0;
        }
    }

    private static void ReopenLog(ServerLog log)
    {
        try
        {
            if (log.Reopen())
            {
                log.Logger.Information("SIGHUP: reopened the log file {LogFile}", log.FilePath);
            }
            else
            {
                log.Logger.Information("SIGHUP: no log file to reopen (the log goes to standard output); still serving");
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.Logger.Error("SIGHUP: cannot reopen the log file {LogFile}: {Error}; still writing to the file it had", log.FilePath, exception.Message);
        }
    }
}
