using System.CommandLine;
using System.Globalization;
using Hftp.Cli.Files;
using Hftp.Client;
using Hftp.CommandLine;
using Hftp.Protocol;
using Command = System.CommandLine.Command;

namespace Hftp.Cli;

/// <summary>The <c>hftp</c> command line: ls, stat, get, shell, help; --host and --port on every command.</summary>
public static class CliCommand
{
    private const string ExitCodeHelp =
        "Exit codes: 0 success, 1 usage error, 2 server error status, 3 network failure or timeout, 4 local file error, 5 output exists (use --force), 6 checksum mismatch, 130 interrupted.";

    public static Task<int> InvokeAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default) =>
        InvokeAsync(args, console, LocalFileSystem.Instance, cancellationToken);

    /// <summary>As <see cref="InvokeAsync(string[], CliConsole, CancellationToken)"/>, with downloads going through <paramref name="fileSystem"/> (tests fail its steps).</summary>
    internal static async Task<int> InvokeAsync(string[] args, CliConsole console, IDownloadFileSystem fileSystem, CancellationToken cancellationToken)
    {
        var parseResult = Create(console, fileSystem).Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            return await ParseErrors.WriteAsync(parseResult, "hftp", console.Error);
        }

        // Ctrl+C cancels the action, which then records how far a download got; give it time to flush that to
        // disk (the library's default of 2 s can end the process mid-way on a busy disk).
        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            ProcessTerminationTimeout = TimeSpan.FromSeconds(15),
        };
        return await parseResult.InvokeAsync(configuration, cancellationToken);
    }

    public static RootCommand Create(CliConsole console) => Create(console, LocalFileSystem.Instance);

    internal static RootCommand Create(CliConsole console, IDownloadFileSystem fileSystem)
    {
        var hostOption = new Option<string>("--host", "-H")
        {
            Description = "Server name or address (IPv4 or IPv6)",
            DefaultValueFactory = _ => "localhost",
            HelpName = "HOST",
            Recursive = true,
        };
        var portOption = new Option<int>("--port", "-p")
        {
            Description = "Server TCP port",
            DefaultValueFactory = _ => Defaults.Port,
            CustomParser = result => WholeNumbers.ParseInt32(result, 1, 65535),
            HelpName = "PORT",
            Recursive = true,
        };

        var retriesOption = new Option<int>("--retries")
        {
            Description = "Reconnect up to N times when a connection drops mid-transfer, waiting 0.2 s, 0.4 s, 0.8 s ... (at most 5 s) first",
            HelpName = "N",
            DefaultValueFactory = _ => RetryPolicy.DefaultRetries,
            CustomParser = result => WholeNumbers.ParseInt32(result, 0, 1000),
            Recursive = true,
        };

        var connectTimeoutOption = new Option<TimeSpan>("--connect-timeout")
        {
            Description = "Give up connecting after this long (2.5, 300ms, 30s, 5m)",
            HelpName = "DURATION",
            DefaultValueFactory = _ => new HftpClientOptions().ConnectTimeout,
            CustomParser = Durations.Parse,
            Recursive = true,
        };
        var timeoutOption = new Option<TimeSpan>("--timeout")
        {
            Description = "Give up when a reply, or a whole download, makes no progress for this long",
            HelpName = "DURATION",
            DefaultValueFactory = _ => new HftpClientOptions().ReadTimeout,
            CustomParser = Durations.Parse,
            Recursive = true,
        };

        var proxy = new ProxyOptions();
        var connection = new ConnectionOptions(hostOption, portOption, connectTimeoutOption, timeoutOption, proxy);
        var root = new RootCommand("hftp: a client for HFTP file servers. " + ExitCodeHelp)
        {
            hostOption, portOption, retriesOption, connectTimeoutOption, timeoutOption, proxy.Proxy, proxy.NoProxy,
        };
        root.Subcommands.Add(CreateList(console, connection));
        root.Subcommands.Add(CreateStat(console, connection));
        root.Subcommands.Add(CreateGet(console, connection, retriesOption, fileSystem));
        root.Subcommands.Add(CreateShell(console, connection));
        root.Subcommands.Add(CreateHelp(console, connection));
        return root;
    }

    private static Command CreateList(CliConsole console, ConnectionOptions connection)
    {
        var maxListing = new Option<int>("--max-listing")
        {
            Description = $"Refuse a listing of more than N names (or N x {HftpClientOptions.ListingBytesPerName} bytes)",
            HelpName = "N",
            DefaultValueFactory = _ => HftpClientOptions.DefaultMaxListingNames,
            CustomParser = result => WholeNumbers.ParseInt32(result, 1, 100_000_000),
        };
        var rawNames = new Option<bool>("--raw-names")
        {
            Description = "Print names as the server sent them (by default control characters and bytes that are not UTF-8 are escaped, as ls -b does)",
        };
        var command = new Command("ls", "List the served files, one per line") { maxListing, rawNames };
        command.SetAction((parseResult, cancellationToken) => RunAsync(console, async () =>
        {
            var options = connection.ClientOptions(parseResult) with { MaxListingNames = parseResult.GetValue(maxListing) };
            await using var client = await connection.ConnectAsync(parseResult, options, cancellationToken);
            var names = await client.ListFileNamesAsync(cancellationToken);
            if (parseResult.GetValue(rawNames))
            {
                await console.Out.FlushAsync(cancellationToken);
                await using var output = console.OpenStandardOutput();
                foreach (var name in names)
                {
                    await output.WriteAsync(name, cancellationToken);
                    await output.WriteAsync("\n"u8.ToArray(), cancellationToken);
                }

                return ExitCodes.Success;
            }

            foreach (var name in names)
            {
                await console.Out.WriteLineAsync(SafeNames.Escape(name));
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateStat(CliConsole console, ConnectionOptions connection)
    {
        var names = new Argument<string[]>("NAME") { Description = "Files to describe", Arity = ArgumentArity.OneOrMore };
        var command = new Command("stat", "Show the size of each file (pipelined in one round trip)") { names };
        command.SetAction((parseResult, cancellationToken) => RunAsync(console, async () =>
        {
            await using var client = await connection.ConnectAsync(parseResult, connection.ClientOptions(parseResult), cancellationToken);
            var exitCode = ExitCodes.Success;
            foreach (var result in await client.GetSizesAsync(parseResult.GetRequiredValue(names), cancellationToken))
            {
                if (result.Found)
                {
                    await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"{result.Name}\t{ByteSize.Format(result.Size)}\t{result.Size} bytes"));
                }
                else
                {
                    await console.Error.WriteLineAsync($"hftp: {result.Name}: {result.Message} ({(int)result.Status})");
                    exitCode = result.Status.IsFatal() ? ExitCodes.NetworkError : ExitCodes.ServerError;
                }
            }

            return exitCode;
        }));
        return command;
    }

    private static Command CreateGet(CliConsole console, ConnectionOptions connection, Option<int> retries, IDownloadFileSystem fileSystem)
    {
        var name = new Argument<string>("NAME") { Description = "File to download" };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to save it; an existing directory means DIR/NAME, '-' standard output [default: NAME in the current directory]",
            HelpName = "PATH",
        };
        var offset = new Option<long>("--offset")
        {
            Description = "First byte to download",
            HelpName = "BYTES",
            CustomParser = result => WholeNumbers.ParseInt64(result, 0, unit: "bytes"),
        };
        var length = new Option<long?>("--length")
        {
            Description = "How many bytes [default: to the end]",
            HelpName = "BYTES",
            CustomParser = result => WholeNumbers.ParseInt64(result, 0, unit: "bytes"),
        };
        var resume = new Option<bool>("--continue", "-c") { Description = "Resume PATH.part, if its state matches the file on the server" };
        var force = new Option<bool>("--force", "-f") { Description = "Replace PATH if it exists (without it, an existing PATH is an error)" };
        var connections = new Option<int>("--connections", "-j")
        {
            Description = "Download over up to N connections at once, each with its share of the missing bytes",
            DefaultValueFactory = _ => 1,
            CustomParser = result => WholeNumbers.ParseInt32(result, 1, 64),
            HelpName = "N",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress bar, no summary line" };
        var checksum = new Option<byte[]?>("--checksum")
        {
            Description = "Keep the file only if its SHA-256 is HEX (otherwise exit 6, PATH.part kept)",
            HelpName = "sha256=HEX",
            CustomParser = ParseChecksum,
        };
        var printSha256 = new Option<bool>("--print-sha256") { Description = "Print the saved bytes' SHA-256, as sha256sum does" };
        var base64 = new Option<bool>("--base64")
        {
            Description = "Ask for base64 slices, as classic servers serve them [default: raw slices when the server has them]",
        };
        var command = new Command("get", "Download a file, or a range of it, into PATH.part, then rename it into place")
        {
            name, output, offset, length, resume, force, connections, quiet, checksum, printSha256, base64,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(console, async () =>
        {
            var request = new DownloadRequest(
                parseResult.GetRequiredValue(connection.Host),
                parseResult.GetValue(connection.Port),
                parseResult.GetRequiredValue(name),
                parseResult.GetValue(output),
                parseResult.GetValue(offset),
                parseResult.GetValue(length),
                parseResult.GetValue(resume),
                parseResult.GetValue(connections),
                parseResult.GetValue(quiet),
                parseResult.GetValue(force),
                parseResult.GetValue(retries))
            {
                ClientOptions = connection.ClientOptions(parseResult),
                RawSlices = parseResult.GetValue(base64) ? RawSliceSupport.Base64Only() : new RawSliceSupport(),
                ExpectedSha256 = parseResult.GetValue(checksum) is { Length: > 0 } sha256 ? sha256 : null, // absent reads as empty
                PrintSha256 = parseResult.GetValue(printSha256),
            };
            await new Downloader(request, console, fileSystem).RunAsync(cancellationToken);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateShell(CliConsole console, ConnectionOptions connection)
    {
        var command = new Command("shell", "Interactive: list the files, then type a name to download it, 'help' for the commands, or protocol commands");
        command.SetAction((parseResult, cancellationToken) => RunAsync(console,
            () => new Shell(parseResult.GetRequiredValue(connection.Host), parseResult.GetValue(connection.Port), connection.ClientOptions(parseResult), console)
                .RunAsync(cancellationToken)));
        return command;
    }

    private static Command CreateHelp(CliConsole console, ConnectionOptions connection)
    {
        var command = new Command("help", "List the commands the server knows, one per line (its 'help'; classic servers have none). For this program's options: --help");
        command.SetAction((parseResult, cancellationToken) => RunAsync(console, async () =>
        {
            await using var client = await connection.ConnectAsync(parseResult, connection.ClientOptions(parseResult), cancellationToken);
            foreach (var name in await client.GetCommandsAsync(cancellationToken))
            {
                await console.Out.WriteLineAsync(name);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    // sha256=HEX, as aria2's --checksum; the only algorithm offered, so the only one accepted.
    private static byte[]? ParseChecksum(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        const string prefix = "sha256=";
        if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && text.Length == prefix.Length + 64
            && text.AsSpan(prefix.Length).ContainsAnyExcept(HexDigits) is false)
        {
            return Convert.FromHexString(text.AsSpan(prefix.Length));
        }

        result.AddError($"--checksum must be sha256= and 64 hexadecimal digits (got '{text}').");
        return null;
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>The options every command connects with.</summary>
    private sealed record ConnectionOptions(
        Option<string> Host, Option<int> Port, Option<TimeSpan> ConnectTimeout, Option<TimeSpan> Timeout, ProxyOptions Proxy)
    {
        // Every connection of a command: its timeouts, and its proxy chosen for the host.
        public HftpClientOptions ClientOptions(ParseResult parseResult) => Proxy.ApplyTo(
            new HftpClientOptions { ConnectTimeout = parseResult.GetValue(ConnectTimeout), ReadTimeout = parseResult.GetValue(Timeout) },
            parseResult,
            parseResult.GetRequiredValue(Host));

        public Task<HftpClient> ConnectAsync(ParseResult parseResult, HftpClientOptions options, CancellationToken cancellationToken) =>
            HftpClient.ConnectAsync(parseResult.GetRequiredValue(Host), parseResult.GetValue(Port), options, cancellationToken);
    }

    // Every failure becomes one line on stderr and its documented exit code; never a stack trace.
    private static async Task<int> RunAsync(CliConsole console, Func<Task<int>> work)
    {
        try
        {
            return await work();
        }
        catch (DownloadFailedException exception)
        {
            await console.Error.WriteLineAsync($"hftp: {exception.Message}");
            return exception.ExitCode;
        }
        catch (HftpStatusException exception)
        {
            await console.Error.WriteLineAsync($"hftp: {exception.Message}");
            return ExitCodes.ServerError;
        }
        catch (HftpException exception)
        {
            await console.Error.WriteLineAsync($"hftp: {exception.Message}");
            return ExitCodes.NetworkError;
        }
        catch (ArgumentException exception)
        {
            await console.Error.WriteLineAsync($"hftp: {exception.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            await console.Error.WriteLineAsync("hftp: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await console.Error.WriteLineAsync($"hftp: {exception.Message}");
            return ExitCodes.LocalError;
        }
    }
}
