using Hftp.Client;
using Hftp.Protocol;

namespace Hftp.Cli;

/// <summary>
/// The interactive mode, like the course's client: shows the listing, asks for a name and downloads it.
/// A line that starts with a protocol command is sent as typed and its reply shown as the server sent it.
/// </summary>
internal sealed class Shell(string host, int port, CliConsole console)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var client = await HftpClient.ConnectAsync(host, port, cancellationToken: cancellationToken);
        console.Out.WriteLine($"* Connected to {host}:{port}. Files:");
        foreach (var name in await client.ListFilesAsync(cancellationToken))
        {
            console.Out.WriteLine(name);
        }

        console.Out.WriteLine("* Type a file name to download it, a protocol command to send it as is, or 'quit'.");
        while (true)
        {
            console.Out.Write("hftp> ");
            console.Out.Flush();
            var line = await console.In.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                return ExitCodes.Success; // end of input: the client says quit on its way out
            }

            line = line.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (IsProtocolCommand(line))
            {
                var reply = await client.SendRawAsync(line, cancellationToken);
                console.Out.WriteLine($"{(int)reply.Status} {reply.Message}");
                foreach (var bodyLine in reply.Body)
                {
                    console.Out.WriteLine(bodyLine);
                }

                if (reply.Status.IsFatal() || (reply.Status == StatusCode.Ok && line == Command.Quit.Name()))
                {
                    return ExitCodes.Success;
                }
            }
            else
            {
                await DownloadAsync(line.Trim(), cancellationToken);
            }
        }
    }

    private static bool IsProtocolCommand(string line)
    {
        var first = line.Split(' ')[0];
        return first is "get_file_listing" or "get_metadata" or "get_slice" or "quit";
    }

    private async Task DownloadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var request = new DownloadRequest(host, port, name, null, 0, null, Continue: false, Connections: 1, Quiet: false);
            await new Downloader(request, console).RunAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is HftpStatusException or ArgumentException)
        {
            console.Error.WriteLine($"hftp: {exception.Message}");
        }
    }
}
