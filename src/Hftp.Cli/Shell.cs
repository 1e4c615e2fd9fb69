using Hftp.Client;
using Hftp.Protocol;

namespace Hftp.Cli;

/// <summary>
/// The interactive mode, like the course's client: shows the listing, then reads lines. Built-in commands
/// (<c>help</c>, <c>ls</c>, <c>get</c>, <c>exit</c>) come first; a line starting with a protocol command is sent as
/// typed and its reply shown as the server sent it, streamed whatever its size; any other single word is a file
/// to download. A failed download is reported and the shell goes on; a fatal status ends it (exit 3), since the
/// server has closed the connection.
/// </summary>
internal sealed class Shell(string host, int port, HftpClientOptions options, CliConsole console)
{
    // 'help' alone is the shell's own command; with arguments it goes to the server like the others.
    private static readonly string[] SentAsTyped = [.. Commands.All.Where(command => command != Command.Help).Select(Commands.Name)];

    private static readonly string Help = $"""
        * Commands:
        *   ls                   list the served files
        *   get NAME [PATH]      download NAME to PATH (default: NAME in the current directory)
        *   NAME                 the same as 'get NAME'
        *   help                 this text, then the server's own commands (its '{Command.Help.Name()}')
        *   exit                 leave (so do '{Command.Quit.Name()}', Ctrl+D and Ctrl+C)
        * A line starting with {string.Join(", ", SentAsTyped[..^1])} or {SentAsTyped[^1]} is sent as typed,
        * and the reply shown as the server sent it (a raw slice's bytes as text, '.' for any not printable).
        """;

    // Learnt by the first download, so later ones ask this server in the form it has.
    private readonly RawSliceSupport _rawSlices = new();

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var client = await HftpClient.ConnectAsync(host, port, options, cancellationToken);
        console.Out.WriteLine($"* Connected to {host}:{port}. Files:");
        await ListAsync(client, cancellationToken);
        console.Out.WriteLine($"* Type a file name to download it, a protocol command to send it as is, 'help', or '{Command.Quit.Name()}'.");
        while (true)
        {
            console.Out.Write("hftp> ");
            console.Out.Flush();
            var line = await ReadLineAsync(cancellationToken);
            if (line is null)
            {
                console.Out.WriteLine(); // Ctrl+D: end the prompt's line; the client says quit on its way out
                return ExitCodes.Success;
            }

            line = line.TrimEnd('\r');
            var words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            // 'help' alone is the shell's (which also shows the server's); 'help' with more is sent as typed.
            if (words is ["help"])
            {
                await ShowHelpAsync(client, cancellationToken);
                continue;
            }

            if (Commands.TryParseFirstElement(line, out var command))
            {
                var reply = await client.SendRawAsync(line, console.Out, cancellationToken);
                if (reply.Status.IsFatal())
                {
                    await console.Error.WriteLineAsync($"hftp: the server closed the connection after {(int)reply.Status} {reply.Message}");
                    return ExitCodes.NetworkError;
                }

                if (reply.Status == StatusCode.Ok && command == Command.Quit)
                {
                    return ExitCodes.Success;
                }

                continue;
            }

            switch (words)
            {
                case ["ls"]:
                    await ListAsync(client, cancellationToken);
                    break;
                case ["exit"]:
                    return ExitCodes.Success;
                case ["get"]:
                    await console.Error.WriteLineAsync("hftp: usage: get NAME [PATH]");
                    break;
                case ["get", var name]:
                    await DownloadAsync(name, null, cancellationToken);
                    break;
                case ["get", var name, ..]:
                    await DownloadAsync(name, line.TrimStart()[3..].TrimStart()[name.Length..].Trim(), cancellationToken);
                    break;
                case [var name]:
                    await DownloadAsync(name, null, cancellationToken);
                    break;
                default:
                    await console.Error.WriteLineAsync($"hftp: unknown command '{words[0]}'; type 'help'");
                    break;
            }
        }
    }

    // Console.In blocks in ReadLine whatever a token says: waiting on the token as well lets Ctrl+C end the
    // prompt (with its line ended) instead of the process being cut off mid-line.
    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var reading = Task.Run(console.In.ReadLine, CancellationToken.None);
        await Task.WhenAny(reading, Task.Delay(Timeout.Infinite, cancellationToken));
        if (!reading.IsCompleted)
        {
            console.Out.WriteLine();
            cancellationToken.ThrowIfCancellationRequested();
        }

        return await reading;
    }

    private async Task ShowHelpAsync(HftpClient client, CancellationToken cancellationToken)
    {
        console.Out.WriteLine(Help);
        try
        {
            var commands = await client.GetCommandsAsync(cancellationToken);
            console.Out.WriteLine($"* The server's commands (its 'help'): {string.Join(", ", commands)}");
        }
        catch (HftpStatusException exception) when (exception.Status == StatusCode.NoSuchCommand)
        {
            console.Out.WriteLine($"* This server has no help command (classic HFTP: it answered {(int)exception.Status} {exception.ServerMessage}).");
        }
    }

    private async Task ListAsync(HftpClient client, CancellationToken cancellationToken)
    {
        foreach (var name in await client.ListFileNamesAsync(cancellationToken))
        {
            console.Out.WriteLine(SafeNames.Escape(name));
        }
    }

    // A download runs on its own connections: whatever goes wrong there, the shell's connection is intact.
    private async Task DownloadAsync(string name, string? output, CancellationToken cancellationToken)
    {
        try
        {
            var request = new DownloadRequest(host, port, name, output, 0, null, Continue: false, Connections: 1, Quiet: false,
                OverwriteHint: $"save it under another name with 'get {name} PATH', or remove it") // the shell has no --force
            {
                ClientOptions = options,
                RawSlices = _rawSlices,
            };
            await new Downloader(request, console).RunAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is HftpException or DownloadFailedException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            await console.Error.WriteLineAsync($"hftp: {exception.Message}");
        }
    }
}
