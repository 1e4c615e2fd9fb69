using System.CommandLine;
using System.Net;
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
    public static async Task<int> InvokeAsync(string[] args, TextWriter? error = null, Func<string, string?>? environment = null)
    {
        var parseResult = Create(environment).Parse(args);
        return parseResult.Errors.Count == 0
            ? await parseResult.InvokeAsync(TerminationConfiguration(parseResult))
            : await ParseErrors.WriteAsync(parseResult, "hftp-server", error ?? Console.Error);
    }

    /// <summary>The command, reading unset options from <paramref name="environment"/> (tests give a dictionary), else the process's variables.</summary>
    public static RootCommand Create(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var defaults = new ServerOptions();
        var portOption = CreateOption(
            "--port", "PORT", "TCP port to listen on; 0 picks a free port and logs it", Defaults.Port, OptionText.Int32(0, 65535), environment, "-p");

        var directoryOption = new Option<DirectoryInfo>("--dir", "-d", "--datadir")
        {
            Description = "Directory whose files are served (read-only)",
            DefaultValueFactory = _ => new DirectoryInfo("testdata"),
            HelpName = "DIR",
        }.FromEnvironmentToo(OptionText.Directory, environment, commandLine: false);
        directoryOption.Validators.Add(result =>
        {
            // A missing directory may appear later and is served then; a file in its place is a mistake to report now.
            if (result.GetValueOrDefault<DirectoryInfo>() is { } directory && File.Exists(directory.FullName))
            {
                result.AddError($"--dir {directory.FullName} is a file, not a directory: pass the directory that holds the files to serve.");
            }
        });

        var addressOption = CreateOption(
            "--address", "ADDRESS", "Address to listen on; '::' listens on IPv6 and IPv4", IPAddress.Any, OptionText.Address, environment, "-a");

        var logLevelOption = CreateOption(
            "--log-level", "LEVEL", "Least important log events shown: Verbose, Debug (every request), Information, Warning, Error, Fatal",
            LogEventLevel.Information, OptionText.OneOf<LogEventLevel>, environment);
        var logFormatOption = CreateOption(
            "--log-format", "text|json",
            "text: a line per event, dated with its UTC offset; json: a compact JSON object per event (@t, @m, @l, @x and each property)",
            LogFormat.Text, OptionText.OneOf<LogFormat>, environment);

        var logFileOption = new Option<FileInfo?>("--log-file")
        {
            Description = "Append the log to this file instead of standard output; SIGHUP reopens it (after a rotation) [default: standard output]",
            HelpName = "PATH",
        }.FromEnvironmentToo(OptionText.File, environment, commandLine: false);

        var maxLineOption = CreateOption(
            "--max-request-line", "BYTES", "Longest request line accepted, in bytes; a longer one is answered 101 BAD REQUEST",
            Syntax.DefaultMaxRequestLineLength, OptionText.Int64(64, unit: "bytes"), environment);
        var maxConnectionsOption = CreateOption(
            "--max-connections", "COUNT", "Clients served at once; more wait in the listen backlog until one leaves "
                + "[default: derived from RLIMIT_NOFILE, RLIMIT_NPROC, threads-max and pid_max, at most 32768; logged at start]",
            null, OptionText.OptionalInt32(1), environment);

        var minSpareThreadsOption = CreateOption(
            "--min-spare-threads", "COUNT", "Idle connection threads kept started ahead of demand, so a new client seldom waits for a thread to start",
            defaults.MinSpareThreads, OptionText.Int32(0, 100_000), environment);
        var maxSpareThreadsOption = CreateOption(
            "--max-spare-threads", "COUNT",
            "Idle connection threads kept at most for later connections (in a burst, this less --min-spare-threads are kept "
                + "started); past this, threads whose clients left end, 1,000 a second, and idle ones past --min-spare-threads end after 60 s",
            defaults.MaxSpareThreads, OptionText.Int32(0, 100_000), environment);
        var idleTimeoutOption = CreateOption(
            "--idle-timeout", "DURATION", "Close a connection that sends no request for this long (300ms, 60s, 5m; 0 or 'off': never)",
            defaults.IdleTimeout, OptionText.Duration(allowOff: true), environment);
        var requestTimeoutOption = CreateOption(
            "--request-timeout", "DURATION", "Close a connection whose request line is not complete this long after its first byte (0 or 'off': never)",
            defaults.RequestTimeout, OptionText.Duration(allowOff: true), environment);
        var sendTimeoutOption = CreateOption(
            "--send-timeout", "DURATION", "Close a connection whose client reads nothing of a reply for this long (0 or 'off': never)",
            defaults.SendTimeout, OptionText.Duration(allowOff: true), environment);
        var shutdownTimeoutOption = CreateOption(
            ShutdownTimeoutName, "DURATION",
            "On SIGTERM or SIGINT (Ctrl+C), how long replies under way may take to finish before they are cut (0: cut at once)",
            defaults.ShutdownTimeout, OptionText.Duration(allowOff: false), environment);
        var logBufferOption = CreateOption(
            "--log-buffer", "EVENTS", "Log events held for a console that is not keeping up; beyond this they are dropped and counted",
            ServerLog.DefaultBufferSize, OptionText.Int32(16, 10_000_000), environment);

        var proxyProtocolOption = new Option<bool>("--proxy-protocol")
        {
            Description = "Every connection starts with a PROXY protocol v1 or v2 header (HAProxy send-proxy); logs name the client it gives",
        }.FromEnvironmentToo(OptionText.Switch, environment, commandLine: false);

        var metricsOption = CreateOption(
            "--metrics", "ADDRESS:PORT", "Serve Prometheus metrics at http://ADDRESS:PORT/metrics (e.g. 127.0.0.1:9464) [default: off]",
            null, OptionText.MetricsEndPoint, environment);

        var command = new RootCommand("hftp-server: serves a directory's files over HFTP, the Home-made File Transfer Protocol. "
            + "Each option may instead be set by the environment variable named beside it; the command line wins. "
            + "SIGTERM or SIGINT: stop, letting replies under way finish; SIGHUP: reopen the log file.")
        {
            portOption,
            directoryOption,
            addressOption,
            logLevelOption,
            logFormatOption,
            logFileOption,
            maxLineOption,
            maxConnectionsOption,
            minSpareThreadsOption,
            maxSpareThreadsOption,
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
                // As given (relative to the working directory): the missing-directory warning at start quotes it.
                Directory = parseResult.GetRequiredValue(directoryOption).ToString(),
                MaxRequestLineLength = parseResult.GetValue(maxLineOption),
                MaxConnections = parseResult.GetValue(maxConnectionsOption),
                MinSpareThreads = parseResult.GetValue(minSpareThreadsOption),
                MaxSpareThreads = parseResult.GetValue(maxSpareThreadsOption),
                IdleTimeout = parseResult.GetValue(idleTimeoutOption),
                RequestTimeout = parseResult.GetValue(requestTimeoutOption),
                SendTimeout = parseResult.GetValue(sendTimeoutOption),
                ShutdownTimeout = parseResult.GetValue(shutdownTimeoutOption),
                ProxyProtocol = parseResult.GetValue(proxyProtocolOption),
                MetricsEndPoint = parseResult.GetValue(metricsOption),
            };
            var log = new LogSettings(
                parseResult.GetValue(logLevelOption), parseResult.GetValue(logFormatOption), parseResult.GetValue(logFileOption)?.ToString(),
                parseResult.GetValue(logBufferOption));
            return ServerRun.RunAsync(options, log, cancellationToken);
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

    // An option with a default, read from the command line or, when not given there, from its environment variable.
    private static Option<T> CreateOption<T>(
        string name, string helpName, string description, T defaultValue, TextParser<T> parse, Func<string, string?> environment,
        params string[] aliases) => new Option<T>(name, aliases)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            HelpName = helpName,
        }.FromEnvironmentToo(parse, environment);
}
