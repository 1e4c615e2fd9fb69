using Hftp.Client;

namespace Hftp.Cli;

/// <summary>
/// Downloads a file or a range of it into <c>PATH.part</c> and renames it into place only once complete and
/// of the right size. With several connections each range is written in place in the same <c>.part</c>, and
/// an interrupted download of either kind resumes (<c>--continue</c>) from what it already holds.
/// </summary>
internal sealed class Downloader(DownloadRequest request, CliConsole console)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        long size;
        await using (var client = await HftpClient.ConnectAsync(request.Host, request.Port, cancellationToken: cancellationToken))
        {
            size = await client.GetSizeAsync(request.Name, cancellationToken);
        }

        var length = request.Length ?? Math.Max(0, size - request.Offset);
        var output = request.Output ?? request.Name;
        var partPath = output + ".part";
        var progress = new TransferProgress(console, request.Name, length, console.ErrorIsTerminal && !request.Quiet);
        var completed = false;
        try
        {
            if (request.Connections <= 1 || length < request.Connections)
            {
                await DownloadRangeAsync(partPath, request.Offset, length, progress, cancellationToken);
            }
            else
            {
                await DownloadInRangesAsync(partPath, length, progress, cancellationToken);
            }

            var written = new FileInfo(partPath).Length;
            if (written != length)
            {
                throw new HftpProtocolException($"{partPath} holds {written} bytes, expected {length}; kept for --continue");
            }

            File.Move(partPath, output, overwrite: true);
            completed = true;
        }
        finally
        {
            if (!completed && File.Exists(partPath) && new FileInfo(partPath).Length == 0)
            {
                File.Delete(partPath); // nothing to resume
            }

            if (!request.Quiet && (completed || progress.Received > 0))
            {
                progress.Finish(completed);
            }
        }
    }

    // The ranges share PATH.part, written in place; PATH.part.ranges records how far each got when a
    // download stops, which is what --continue resumes from.
    private async Task DownloadInRangesAsync(string partPath, long length, TransferProgress progress, CancellationToken cancellationToken)
    {
        var statePath = partPath + ".ranges";
        var count = request.Connections;
        var rangeLength = (length + count - 1) / count;
        var starts = Enumerable.Range(0, count).Select(index => index * rangeLength).ToArray();
        var lengths = starts.Select(start => Math.Min(rangeLength, length - start)).ToArray();
        var done = request.Continue && File.Exists(partPath) ? RangeState.Read(statePath, starts, lengths) : new long[count];

        using var file = File.OpenHandle(partPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None);
        RandomAccess.SetLength(file, length);
        var writers = Enumerable.Range(0, count).Select(index => new RangeWriter(file, starts[index], done[index])).ToArray();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(index =>
                ReadRangeAsync(writers[index], request.Offset + starts[index], lengths[index], progress, cancellationToken)));
            File.Delete(statePath);
        }
        catch
        {
            RangeState.Write(statePath, starts, lengths, writers.Select(writer => writer.Written).ToArray());
            throw;
        }
    }

    private async Task ReadRangeAsync(RangeWriter writer, long start, long length, TransferProgress progress, CancellationToken cancellationToken)
    {
        var sink = progress.ForConnection(writer.Written);
        if (writer.Written == length)
        {
            return;
        }

        await using var client = await HftpClient.ConnectAsync(request.Host, request.Port, cancellationToken: cancellationToken);
        await client.ReadSliceAsync(request.Name, start + writer.Written, length - writer.Written, writer, sink, cancellationToken);
    }

    private async Task DownloadRangeAsync(string path, long start, long length, TransferProgress progress, CancellationToken cancellationToken)
    {
        var already = request.Continue && File.Exists(path) ? new FileInfo(path).Length : 0;
        if (already > length)
        {
            already = 0; // not a part of this range: start over
        }

        await using var file = new FileStream(path, already > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var sink = progress.ForConnection(already);
        if (already == length)
        {
            return;
        }

        await using var client = await HftpClient.ConnectAsync(request.Host, request.Port, cancellationToken: cancellationToken);
        await client.ReadSliceAsync(request.Name, start + already, length - already, file, sink, cancellationToken);
    }
}
