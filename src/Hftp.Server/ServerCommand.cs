using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using System.Net.Sockets;
using Hftp.CommandLine;
using Hftp.Protocol;
using Serilog.Events;

namespace Hftp.Server;

/// <summary>The <c>hftp-server</c> command line: options declared once, with defaults and validation beside them.</summary>
public static class ServerCommand
{
    /// <summary>Exit code when the server cannot start (port taken, address not local, no permission).</summary>
    public const int StartupFailed = 2;

    /// <summary>Exit code for a bad command line (System.CommandLine's own convention).</summary>
    public const int UsageError = ParseErrors.ExitCode;

    /// <summary>Parses and runs; a bad option gets one line on stderr, not the whole help text.</summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter? error = null)
    {
        var parseResult = Create().Parse(args);
        if (parseResult.Errors.Count == 0)
        {
            return await parseResult.InvokeAsync(TerminationConfiguration(parseResult));
        }

        return await ParseErrors.WriteAsync(parseResult, "hftp-server", error ?? Console.Error);
    }

    public static RootCommand Create()
    {
        var portOption = new Option<int>("--port", "-p")
        {
            Description = "TCP port to listen on; 0 picks a free port and logs it",
            DefaultValueFactory = _ => Defaults.Port,
            CustomParser = result => WholeNumbers.ParseInt32(result, 0, 65535),
            HelpName = "PORT",
        };

        var directoryOption = new Option<DirectoryInfo>("--dir", "-d", "--datadir")
        {
            Description = "Directory whose files are served (read-only)",
            DefaultValueFactory = _ => new DirectoryInfo("testdata"),
            HelpName = "DIR",
        };
        directoryOption.Validators.Add(result =>
        {
            // A missing directory may appear later and is served then; a file in its place is a mistake to report now.
            if (result.GetValueOrDefault<DirectoryInfo>() is { } directory && File.Exists(directory.FullName))
            {
                result.AddError($"--dir {directory.FullName} is a file, not a directory: pass the directory that holds the files to serve.");
            }
        });

        var addressOption = new Option<IPAddress>("--address", "-a")
        {
            Description = "Address to listen on; '::' listens on IPv6 and IPv4",
            DefaultValueFactory = _ => IPAddress.Any,
            CustomParser = ParseAddress,
            HelpName = "ADDRESS",
        };

        var logLevelOption = new Option<LogEventLevel>("--log-level")
        {
            Description = "Least important log events shown: Verbose, Debug (every request), Information, Warning, Error, Fatal",
            DefaultValueFactory = _ => LogEventLevel.Information,
            CustomParser = ParseLogLevel,
            HelpName = "LEVEL",
        };

        var maxLineOption = new Option<long>("--max-request-line")
        {
            Description = "Longest request line accepted, in bytes; a longer one is answered 101 BAD REQUEST",
            DefaultValueFactory = _ => Syntax.DefaultMaxRequestLineLength,
            CustomParser = result => WholeNumbers.ParseInt64(result, 64, unit: "bytes"),
            HelpName = "BYTES",
        };

        var maxConnectionsOption = new Option<int?>("--max-connections")
        {
            Description = "Clients served at once; more wait in the listen backlog until one leaves "
                + "[default: derived from RLIMIT_NOFILE, RLIMIT_NPROC, threads-max and pid_max, at most 32768; logged at start]",
            CustomParser = result => WholeNumbers.ParseInt32(result, 1),
            HelpName = "COUNT",
        };

        var spareThreadsOption = CreateCountOption(
            "--spare-threads", "Idle connection threads kept started ahead of demand, so a new client seldom waits for a thread to be created",
            ServerOptions.DefaultSpareThreads, 0, 100_000);
        var maxSpareThreadsOption = CreateCountOption(
            "--max-spare-threads",
            "Idle connection threads kept at most for later connections (at least --spare-threads; for 60 s after a burst took every spare, this less --spare-threads are kept started ahead); past this "
                + "threads wait as surplus (see --thread-end-rate), and those past --spare-threads end after 60 s idle",
            ServerOptions.DefaultMaxSpareThreads, 0, 100_000);
        var threadEndRateOption = CreateCountOption(
            "--thread-end-rate",
            "Connection threads past --max-spare-threads, once none was needed for a second, ended at most per "
                + "second; until then a later connection reuses them, so a burst right after a burst does not wait "
                + "behind thousands of thread endings",
            ServerOptions.DefaultThreadEndRate, 1, 1_000_000);
        var sliceEncodersOption = new Option<int?>("--slice-encoders")
        {
            Description = "Helper threads that read and encode a slice of 1 MiB or more on another core while its connection "
                + "thread sends it; 0: every slice on its connection's thread alone [default: the cores less one, at most 8; logged at start]",
            CustomParser = result => WholeNumbers.ParseInt32(result, 0, 64),
            HelpName = "COUNT",
        };
        var idleTimeoutOption = CreateDurationOption(
            "--idle-timeout", "Close a connection that sends no request for this long (300ms, 60s, 5m; 0 or 'off': never)",
            ServerOptions.DefaultIdleTimeout, allowOff: true);
        var requestTimeoutOption = CreateDurationOption(
            "--request-timeout", "Close a connection whose request line is not complete this long after its first byte (0 or 'off': never)",
            ServerOptions.DefaultRequestTimeout, allowOff: true);
        var sendTimeoutOption = CreateDurationOption(
            "--send-timeout", "Close a connection whose client reads nothing of a reply for this long (0 or 'off': never)",
            ServerOptions.DefaultSendTimeout, allowOff: true);
        var shutdownTimeoutOption = CreateDurationOption(
            ShutdownTimeoutName, "On Ctrl+C or SIGTERM, how long replies under way may take to finish before they are cut (0: cut at once)",
            ServerOptions.DefaultShutdownTimeout, allowOff: false);

        var logBufferOption = new Option<int>("--log-buffer")
        {
            Description = "Log events held for a console that is not keeping up; beyond this they are dropped and counted",
            DefaultValueFactory = _ => ServerLogging.DefaultBufferSize,
            CustomParser = result => WholeNumbers.ParseInt32(result, 16, 10_000_000),
            HelpName = "EVENTS",
        };

        var proxyProtocolOption = new Option<bool>("--proxy-protocol")
        {
            Description = "Every connection starts with a PROXY protocol v1 or v2 header (HAProxy send-proxy); logs name the client it gives",
        };

        var metricsOption = new Option<IPEndPoint?>("--metrics")
        {
            Description = "Serve Prometheus metrics at http://ADDRESS:PORT/metrics (e.g. 127.0.0.1:9464) [default: off]",
            CustomParser = ParseMetricsEndPoint,
            HelpName = "ADDRESS:PORT",
        };

        var command = new RootCommand("hftp-server: serves a directory's files over HFTP, the Home-made File Transfer Protocol.")
        {
            portOption,
            directoryOption,
            addressOption,
            logLevelOption,
            maxLineOption,
            maxConnectionsOption,
            spareThreadsOption,
            maxSpareThreadsOption,
            threadEndRateOption,
            sliceEncodersOption,
            idleTimeoutOption,
            requestTimeoutOption,
            sendTimeoutOption,
            shutdownTimeoutOption,
            logBufferOption,
            proxyProtocolOption,
            metricsOption,
        };

        command.SetAction((parseResult, cancellationToken) =>
        {
            var options = new ServerOptions
            {
                Address = parseResult.GetRequiredValue(addressOption),
                Port = parseResult.GetValue(portOption),
                // As given: a relative path is resolved against the working directory, and the start-up warning
                // about a missing directory quotes it.
                Directory = parseResult.GetRequiredValue(directoryOption).ToString(),
                MaxRequestLineLength = parseResult.GetValue(maxLineOption),
                MaxConnections = parseResult.GetValue(maxConnectionsOption),
                SpareThreads = parseResult.GetValue(spareThreadsOption),
                MaxSpareThreads = parseResult.GetValue(maxSpareThreadsOption),
                ThreadEndRate = parseResult.GetValue(threadEndRateOption),
                SliceEncoders = parseResult.GetValue(sliceEncodersOption),
                IdleTimeout = parseResult.GetValue(idleTimeoutOption),
                RequestTimeout = parseResult.GetValue(requestTimeoutOption),
                SendTimeout = parseResult.GetValue(sendTimeoutOption),
                ShutdownTimeout = parseResult.GetValue(shutdownTimeoutOption),
                ProxyProtocol = parseResult.GetValue(proxyProtocolOption),
                MetricsEndPoint = parseResult.GetValue(metricsOption),
            };
            return RunAsync(options, parseResult.GetValue(logLevelOption), parseResult.GetValue(logBufferOption), cancellationToken);
        });
        return command;
    }

    private const string ShutdownTimeoutName = "--shutdown-timeout";

    // Time the drain may take beyond --shutdown-timeout: cutting the rest and logging every closing line.
    private static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(15);

    // System.CommandLine ends the process with 143 (130 on Ctrl+C) when the action has not returned 2 s after the
    // signal; the graceful drain needs longer, and the drain is itself bounded.
    private static InvocationConfiguration TerminationConfiguration(ParseResult parseResult) => new()
    {
        ProcessTerminationTimeout = parseResult.GetValue<TimeSpan>(ShutdownTimeoutName) + ShutdownMargin,
    };

    private static Option<int> CreateCountOption(string name, string description, int defaultValue, int minimum, int maximum) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => WholeNumbers.ParseInt32(result, minimum, maximum),
        HelpName = "COUNT",
    };

    private static Option<TimeSpan> CreateDurationOption(string name, string description, TimeSpan defaultValue, bool allowOff) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseDuration(result, name, allowOff),
        HelpName = "DURATION",
    };

    private static TimeSpan ParseDuration(ArgumentResult result, string option, bool allowOff)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (DurationText.TryParse(text, allowOff, out var duration))
        {
            return allowOff && duration == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : duration;
        }

        var off = allowOff ? ", or 'off'" : string.Empty;
        result.AddError($"{option} must be a duration such as 300ms, 60s or 5m{off} (got '{text}').");
        return TimeSpan.Zero;
    }

    private static LogEventLevel ParseLogLevel(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (Enum.TryParse<LogEventLevel>(text, ignoreCase: true, out var level) && Enum.IsDefined(level) && !int.TryParse(text, out _))
        {
            return level;
        }

        result.AddError($"--log-level: '{text}' is not one of {string.Join(", ", Enum.GetNames<LogEventLevel>())}.");
        return LogEventLevel.Information;
    }

    private static IPAddress? ParseAddress(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (IPAddress.TryParse(text, out var address))
        {
            return address;
        }

        result.AddError($"--address: '{text}' is not an IPv4 or IPv6 address (for example 0.0.0.0, 127.0.0.1 or ::).");
        return null;
    }

    private static IPEndPoint? ParseMetricsEndPoint(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port > 0 && text.EndsWith(
            ":" + endPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetwork)
            {
                return endPoint;
            }

            result.AddError($"--metrics: '{text}' is IPv6; the metrics endpoint takes an IPv4 address only.");
            return null;
        }

        result.AddError($"--metrics: '{text}' is not ADDRESS:PORT with a port from 1 to 65535 (for example 127.0.0.1:9464 or 0.0.0.0:9464).");
        return null;
    }

    private static async Task<int> RunAsync(ServerOptions options, LogEventLevel logLevel, int logBuffer, CancellationToken cancellationToken)
    {
        using var log = ServerLogging.CreateConsoleLog(logLevel, logBuffer);
        var logger = log.Logger;
        using var server = new HftpServer(options, logger);
        try
        {
            server.Start();
        }
        catch (SocketException exception)
        {
            await Console.Error.WriteLineAsync(
                $"hftp-server: cannot listen on {FormatEndPoint(options.Address, options.Port)}: {exception.Message}");
            return StartupFailed;
        }

        using var metrics = TryStartMetrics(options.MetricsEndPoint, logger, out var metricsError);
        if (metricsError is not null)
        {
            await Console.Error.WriteLineAsync(metricsError);
            return StartupFailed;
        }

        using var reclaimer = new MemoryReclaimer(logger, MemoryReclaimer.DefaultInterval, () => server.ConnectionThreadsAlive);
        var endPoint = server.LocalEndPoint;
        logger.Information("Serving {Directory} on {EndPoint}", server.Directory, FormatEndPoint(endPoint.Address, endPoint.Port));
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
            // Ctrl+C or SIGTERM: the normal way to stop.
        }

        logger.Information("Shutting down: {Count} connections; replies under way get up to {Seconds:0.###} s to finish",
            server.ActiveConnections, options.ShutdownTimeout.TotalSeconds);
        var summary = server.Stop();
        logger.Information("Stopped: {Finished} replies finished, {Idle} idle closed, {Cut} cut", summary.FinishedReplies, summary.ClosedIdle, summary.Cut);
        return 0;
    }

    private static MetricsEndpoint? TryStartMetrics(IPEndPoint? endPoint, Serilog.ILogger logger, out string? error)
    {
        error = null;
        if (endPoint is null)
        {
            return null;
        }

        try
        {
            return MetricsEndpoint.Start(endPoint, logger);
        }
        catch (MetricsEndpointException exception)
        {
            error = $"hftp-server: cannot serve metrics on {endPoint}: {exception.Message}";
            return null;
        }
    }

    private static string FormatEndPoint(IPAddress address, int port) => new IPEndPoint(address, port).ToString();
}
