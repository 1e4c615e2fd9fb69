using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Hftp.Client;
using Hftp.Protocol;

namespace Hftp.Cli;

/// <summary>
/// Downloads a file, or a range of it, into <c>PATH.part</c> and renames it into place only once every byte
/// is there. Its resume state (<see cref="PartFile"/>) is one format for one or many connections, so an
/// interrupted download resumes with any <c>-j</c>: the missing ranges are split across the connections.
/// A dropped connection is retried with backoff, from the last byte written.
/// </summary>
internal sealed class Downloader(DownloadRequest request, CliConsole console)
{
    // Below this a range is not worth its own connection: small files use fewer connections than asked.
    private const long MinimumRangeLength = 256 * 1024;

    private static readonly TimeSpan SaveInterval = TimeSpan.FromMilliseconds(200);

    private readonly RetryPolicy _retryPolicy = RetryPolicy.WithRetries(request.Retries);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var output = ResolveOutput();
        var (size, length) = await AskSizeAsync(cancellationToken);
        var wanted = new ResumeState(request.Name, size, request.Offset, length, new ByteRanges());
        using var part = PartFile.Open(output + ".part", wanted, request.Continue, Warn);
        var progress = new TransferProgress(console, request.Name, length, part.Resumed.Done.Count, console.ErrorIsTerminal && !request.Quiet);
        var writers = PlanRanges(part, length, progress);
        var completed = false;
        try
        {
            using (var stopSaving = new CancellationTokenSource())
            {
                var saving = SaveWhileRunningAsync(part, writers, stopSaving.Token);
                try
                {
                    await FetchAllAsync(writers, size, cancellationToken);
                }
                finally
                {
                    await stopSaving.CancelAsync();
                    await saving;
                }
            }

            part.Complete(writers, output, overwrite: request.Force);
            completed = true;
        }
        catch
        {
            KeepOrDelete(part, writers, progress);
            throw;
        }
        finally
        {
            if (!request.Quiet && (completed || progress.Done > 0))
            {
                progress.Finish(completed, $"{part.Path} kept: run the same command with --continue to resume");
            }
        }
    }

    // -o DIR saves DIR/NAME, as curl -O and wget -P do; an existing file is replaced only with --force.
    private string ResolveOutput()
    {
        if (!Syntax.IsValidFileName(request.Name))
        {
            throw new ArgumentException($"'{request.Name}' is not an HFTP file name (1 or more of A-Z a-z 0-9 . - _).");
        }

        var output = request.Output ?? request.Name;
        if (Directory.Exists(output) || output.EndsWith(Path.DirectorySeparatorChar))
        {
            output = Path.Combine(output, request.Name);
        }

        if (Directory.Exists(output))
        {
            throw new DownloadFailedException(ExitCodes.LocalError, $"{output} is a directory");
        }

        if (File.Exists(output) && !request.Force)
        {
            throw new DownloadFailedException(ExitCodes.OutputExists, $"{output} already exists; {request.OverwriteHint}");
        }

        // Said here, before the server is asked, instead of the runtime's "Could not find a part of the path" for PATH.part.
        var directory = Path.GetDirectoryName(Path.GetFullPath(output));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new DownloadFailedException(ExitCodes.LocalError, $"cannot save {output}: the directory {directory} does not exist");
        }

        return output;
    }

    // The size decides the length; a range outside the file is put to the server, whose 203 is the answer,
    // before anything is written.
    private async Task<(long Size, long Length)> AskSizeAsync(CancellationToken cancellationToken)
    {
        await using var client = await HftpClient.ConnectAsync(request.Host, request.Port, request.ClientOptions, cancellationToken);
        var size = await client.GetSizeAsync(request.Name, cancellationToken);
        var offset = request.Offset;
        if (request.Length is { } length)
        {
            if (offset > size || length > size - offset)
            {
                await AskServerForRangeAsync(client, size, offset, length, cancellationToken);
            }

            return (size, length);
        }

        // --offset alone means "from OFFSET to the end", like an HTTP range: OFFSET must be a byte of the file.
        if (offset > 0 && offset >= size)
        {
            await AskServerForRangeAsync(client, size, offset, 1, cancellationToken);
        }

        return (size, size - offset);
    }

    private async Task AskServerForRangeAsync(HftpClient client, long size, long offset, long length, CancellationToken cancellationToken)
    {
        await client.ReadSliceAsync(request.Name, offset, length, Stream.Null, null, cancellationToken);
        throw new HftpProtocolException(string.Create(CultureInfo.InvariantCulture,
            $"The server said {request.Name} has {size} bytes, then served {length} from offset {offset}"));
    }

    // The missing ranges, cut so that each connection gets about the same share.
    private List<RangeWriter> PlanRanges(PartFile part, long length, TransferProgress progress)
    {
        var missing = part.Resumed.Done.MissingFrom(length);
        var total = missing.Sum(range => range.Length);
        var share = Math.Max(MinimumRangeLength, (total + request.Connections - 1) / request.Connections);
        var writers = new List<RangeWriter>();
        foreach (var range in missing)
        {
            for (var start = range.Start; start < range.End; start += share)
            {
                writers.Add(new RangeWriter(part.Handle, start, Math.Min(range.End, start + share), progress));
            }
        }

        return writers;
    }

    private async Task FetchAllAsync(List<RangeWriter> writers, long size, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queue = new ConcurrentQueue<RangeWriter>(writers);
        var connections = Enumerable.Range(0, Math.Min(request.Connections, writers.Count))
            .Select(_ => new RangeFetcher(request, size, _retryPolicy, Warn).RunAsync(queue, failed))
            .ToArray();
        try
        {
            await Task.WhenAll(connections);
        }
        catch when (!cancellationToken.IsCancellationRequested)
        {
            // Report the failure that stopped the others, not their cancellation.
            var cause = connections.Where(task => task.IsFaulted).Select(task => task.Exception!.InnerException!)
                .FirstOrDefault(exception => exception is not OperationCanceledException);
            if (cause is not null)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
    }

    private static async Task SaveWhileRunningAsync(PartFile part, List<RangeWriter> writers, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(SaveInterval);
        long saved = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var written = writers.Sum(writer => writer.Written);
                if (written != saved)
                {
                    await Task.Run(() => part.Save(writers), CancellationToken.None); // flushing to disk blocks
                    saved = written;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped: the caller saves the final state.
        }
    }

    // A run that wrote nothing and resumed nothing leaves nothing behind; otherwise the state is saved.
    private void KeepOrDelete(PartFile part, List<RangeWriter> writers, TransferProgress progress)
    {
        try
        {
            if (progress.Moved == 0 && part.Resumed.Done.Count == 0)
            {
                part.Delete();
            }
            else
            {
                part.Save(writers);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Warn($"{part.Path}: could not record its resume state: {exception.Message}");
        }
    }

    private void Warn(string message) => console.Error.WriteLine($"hftp: {message}");
}
