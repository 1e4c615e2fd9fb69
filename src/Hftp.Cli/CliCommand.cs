using System.CommandLine;
using System.Globalization;
using Hftp.Client;
using Hftp.CommandLine;
using Hftp.Protocol;
using Command = System.CommandLine.Command;

namespace Hftp.Cli;

/// <summary>The <c>hftp</c> command line: ls, stat, get, shell, help; --host and --port on every command.</summary>
public static class CliCommand
{
    private const string ExitCodeHelp =
        "Exit codes: 0 success, 1 usage error, 2 server error status, 3 network failure, 4 local file error, 5 output exists (use --force), 130 interrupted.";

    public static async Task<int> InvokeAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        var parseResult = Create(console).Parse(args);
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

    public static RootCommand Create(CliConsole console)
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

        var proxy = new ProxyOptions();
        var root = new RootCommand("hftp: a client for HFTP file servers. " + ExitCodeHelp)
        {
            hostOption, portOption, retriesOption, proxy.Proxy, proxy.NoProxy,
        };
        root.Subcommands.Add(CreateList(console, hostOption, portOption, proxy));
        root.Subcommands.Add(CreateStat(console, hostOption, portOption, proxy));
        root.Subcommands.Add(CreateGet(console, hostOption, portOption, retriesOption, proxy));
        root.Subcommands.Add(CreateShell(console, hostOption, portOption, proxy));
        root.Subcommands.Add(CreateHelp(console, hostOption, portOption, proxy));
        return root;
    }

    private static Command CreateList(CliConsole console, Option<string> host, Option<int> port, ProxyOptions proxy)
    {
        var command = new Command("ls", "List the served files, one per line");
        command.SetAction((parseResult, cancellationToken) => RunAsync(console, async () =>
        {
            await using var client = await Connect(parseResult, host, port, proxy, cancellationToken);
            foreach (var name in await client.ListFilesAsync(cancellationToken))
            {
                await console.Out.WriteLineAsync(name);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateStat(CliConsole console, Option<string> host, Option<int> port, ProxyOptions proxy)
    {
        var names = new Argument<string[]>("NAME") { Description = "Files to describe", Arity = ArgumentArity.OneOrMore };
        var command = new Command("stat", "Show the size of each file (pipelined in one round trip)") { names };
        command.SetAction((parseResult, cancellationToken) => RunAsync(console, async () =>
        {
            await using var client = await Connect(parseResult, host, port, proxy, cancellationToken);
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

    private static Command CreateGet(CliConsole console, Option<string> host, Option<int> port, Option<int> retries, ProxyOptions proxy)
    {
        var name = new Argument<string>("NAME") { Description = "File to download" };
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to save it; an existing directory means DIR/NAME [default: NAME in the current directory]",
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
        var base64 = new Option<bool>("--base64")
        {
            Description = "Ask for base64 slices, as classic servers serve them [default: raw slices when the server has them]",
        };
        var command = new Command("get", "Download a file, or a range of it, into PATH.part, then rename it into place")
        {
            name, output, offset, length, resume, force, connections, quiet, base64,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(console, async () =>
        {
            var request = new DownloadRequest(
                parseResult.GetRequiredValue(host),
                parseResult.GetValue(port),
                parseResult.GetRequiredValue(name),
                parseResult.GetValue(output),
                parseResult.GetValue(offset),
                parseResult.GetValue(length),
                parseResult.GetValue(resume),
                parseResult.GetValue(connections),
                parseResult.GetValue(quiet),
                parseResult.GetValue(force),
                parseResult.GetValue(retries),
                ClientOptions: ClientOptions(parseResult, host, proxy))
            {
                RawSlices = parseResult.GetValue(base64) ? RawSliceSupport.Base64Only() : new RawSliceSupport(),
            };
            await new Downloader(request, console).RunAsync(cancellationToken);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateShell(CliConsole console, Option<string> host, Option<int> port, ProxyOptions proxy)
    {
        var command = new Command("shell", "Interactive: list the files, then type a name to download it, 'help' for the commands, or protocol commands");
        command.SetAction((parseResult, cancellationToken) => RunAsync(console,
            () => new Shell(parseResult.GetRequiredValue(host), parseResult.GetValue(port), ClientOptions(parseResult, host, proxy), console)
                .RunAsync(cancellationToken)));
        return command;
    }

    private static Command CreateHelp(CliConsole console, Option<string> host, Option<int> port, ProxyOptions proxy)
    {
        var command = new Command("help", "List the commands the server knows, one per line (its 'help'; classic servers have none). For this program's options: --help");
        command.SetAction((parseResult, cancellationToken) => RunAsync(console, async () =>
        {
            await using var client = await Connect(parseResult, host, port, proxy, cancellationToken);
            foreach (var name in await client.GetCommandsAsync(cancellationToken))
            {
                await console.Out.WriteLineAsync(name);
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    private static Task<HftpClient> Connect(
        ParseResult parseResult, Option<string> host, Option<int> port, ProxyOptions proxy, CancellationToken cancellationToken) =>
        HftpClient.ConnectAsync(parseResult.GetRequiredValue(host), parseResult.GetValue(port), ClientOptions(parseResult, host, proxy), cancellationToken);

    // How every connection of a command is made: its proxy, chosen for the host.
    private static HftpClientOptions ClientOptions(ParseResult parseResult, Option<string> host, ProxyOptions proxy) =>
        proxy.ApplyTo(new HftpClientOptions(), parseResult, parseResult.GetRequiredValue(host));

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
