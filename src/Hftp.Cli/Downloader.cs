using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Hftp.Cli.Files;
using Hftp.Client;

namespace Hftp.Cli;

/// <summary>
/// Downloads a file, or a range of it, into <c>PATH.part</c> and renames it into place only once every byte
/// is there (and, with <c>--checksum</c>, has the hash asked for); or streams it in order to standard output or a
/// device. Its resume state (<see cref="PartFile"/>) is one format for one or many connections, so an interrupted
/// download resumes with any <c>-j</c>: the missing ranges are split across the connections. A dropped
/// connection is retried with backoff, from the last byte written; no progress at all for the timeout ends it.
/// </summary>
internal sealed class Downloader(DownloadRequest request, CliConsole console, IDownloadFileSystem? fileSystem = null)
{
    // Below this a range is not worth its own connection: small files use fewer connections than asked.
    private const long MinimumRangeLength = 256 * 1024;

    private static readonly TimeSpan SaveInterval = TimeSpan.FromMilliseconds(200);

    private readonly IDownloadFileSystem _files = fileSystem ?? LocalFileSystem.Instance;
    private readonly RetryPolicy _retryPolicy = RetryPolicy.WithRetries(request.Retries);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var target = OutputTarget.Resolve(request, _files);
        var (size, length) = await AskSizeAsync(cancellationToken);
        if (target.IsStream)
        {
            await StreamAsync(target, size, length, cancellationToken);
            return;
        }

        var wanted = new ResumeState(request.Host, request.Port, request.Name, size, request.Offset, length, new ByteRanges());
        using var part = PartFile.Open(_files, target.Path, wanted, request.Continue, request.Force, Warn);
        var progress = new TransferProgress(console, target.Path, length, part.Resumed.Done.Count, console.ErrorIsTerminal && !request.Quiet);
        var writers = PlanRanges(part, length, progress);
        var completed = false;
        var kept = false;
        try
        {
            using (var stopSaving = new CancellationTokenSource())
            {
                var saving = SaveWhileRunningAsync(part, writers, stopSaving.Token);
                try
                {
                    await FetchAllAsync(writers, size, progress, cancellationToken);
                }
                finally
                {
                    await stopSaving.CancelAsync();
                    await saving;
                }
            }

            part.Seal(writers);
            var sha256 = Verify(writers.Count == 1 ? writers[0].Hash : null, part.ComputeSha256, part.Path);
            part.Commit(overwrite: request.Force);
            completed = true;
            await PrintSha256Async(sha256, target);
        }
        catch (Exception exception)
        {
            // A checksum mismatch has said what it keeps; anything else records how far it got, or cleans up.
            kept = exception is not DownloadFailedException { ExitCode: ExitCodes.ChecksumMismatch } && KeepOrDelete(part, writers, progress, exception);
            throw;
        }
        finally
        {
            if (!request.Quiet && (completed || (kept && part.Recorded > 0)))
            {
                progress.Finish(completed, part.Recorded, $"{part.Path} kept: run the same command with --continue to resume");
            }
        }
    }

    // A stream is written in order, so on one connection, and hashed as it goes; a retry goes on from the last byte written.
    private async Task StreamAsync(OutputTarget target, long size, long length, CancellationToken cancellationToken)
    {
        await using var stream = target.OpenStream(console);
        var progress = new TransferProgress(console, target.Describe(), length, 0, console.ErrorIsTerminal && !request.Quiet);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var writer = new RangeWriter((bytes, _, token) => WriteNamingAsync(target.Describe(), () => stream.WriteAsync(bytes, token)), 0, length, progress)
        {
            Hash = hash,
        };
        var completed = false;
        try
        {
            await FetchAllAsync([writer], size, progress, cancellationToken, connections: 1);
            await stream.FlushAsync(cancellationToken);
            var sha256 = Verify(hash, null, target.Describe());
            completed = true;
            await PrintSha256Async(sha256, target);
        }
        finally
        {
            if (!request.Quiet && (completed || progress.Done > 0))
            {
                progress.Finish(completed, progress.Done, "a stream cannot be resumed");
            }
        }
    }

    // The hash of the saved bytes when it is wanted: taken while writing when one writer wrote them all in order,
    // otherwise read back from the part. A mismatch keeps the part and exits 6.
    private byte[]? Verify(IncrementalHash? hashedWhileWriting, Func<byte[]>? readBack, string what)
    {
        if (request.ExpectedSha256 is null && !request.PrintSha256)
        {
            return null;
        }

        var actual = hashedWhileWriting?.GetHashAndReset() ?? readBack!();
        if (request.ExpectedSha256 is { } expected && !CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            throw new DownloadFailedException(ExitCodes.ChecksumMismatch,
                $"{what}: SHA-256 is {Convert.ToHexStringLower(actual)}, not the {Convert.ToHexStringLower(expected)} expected"
                + (readBack is null ? string.Empty : "; kept, not renamed"));
        }

        return actual;
    }

    // sha256sum's format on standard output, unless the file itself went there.
    private async Task PrintSha256Async(byte[]? sha256, OutputTarget target)
    {
        if (request.PrintSha256 && sha256 is not null)
        {
            var line = $"{Convert.ToHexStringLower(sha256)}  {(target.IsStandardOutput ? "-" : target.Path)}";
            await (target.IsStandardOutput ? console.Error : console.Out).WriteLineAsync(line);
        }
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

    // The missing ranges, cut so that each connection gets about the same share. One writer that covers the whole
    // download from its first byte sees every byte in order, so it hashes as it writes.
    private List<RangeWriter> PlanRanges(PartFile part, long length, TransferProgress progress)
    {
        var missing = part.Resumed.Done.MissingFrom(length);
        var total = missing.Sum(range => range.Length);
        var share = Math.Max(MinimumRangeLength, (total + request.Connections - 1) / request.Connections);
        var writers = new List<RangeWriter>();
        var hashInOrder = (request.ExpectedSha256 is not null || request.PrintSha256) && total == length && share >= length;
        foreach (var range in missing)
        {
            for (var start = range.Start; start < range.End; start += share)
            {
                writers.Add(new RangeWriter(
                    (bytes, offset, token) => WriteNamingAsync(part.Path, () => _files.WriteAsync(part.Handle, bytes, offset, token)),
                    start,
                    Math.Min(range.End, start + share),
                    progress)
                {
                    Hash = hashInOrder ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null,
                });
            }
        }

        return writers;
    }

    // .NET's message for a failed write through a handle names no file ("No space left on device", "Broken pipe"): say which.
    private static async ValueTask WriteNamingAsync(string what, Func<ValueTask> write)
    {
        try
        {
            await write();
        }
        catch (IOException exception) when (!exception.Message.Contains(what, StringComparison.Ordinal))
        {
            throw new IOException($"{what}: {exception.Message}", exception);
        }
    }

    private async Task FetchAllAsync(
        List<RangeWriter> writers, long size, TransferProgress progress, CancellationToken cancellationToken, int? connections = null)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queue = new ConcurrentQueue<RangeWriter>(writers);
        var fetchers = Enumerable.Range(0, Math.Min(connections ?? request.Connections, writers.Count))
            .Select(_ => new RangeFetcher(request, size, _retryPolicy, Warn).RunAsync(queue, failed))
            .ToArray();
        var stalled = WatchProgressAsync(progress, failed);
        try
        {
            await Task.WhenAll(fetchers);
        }
        catch when (!cancellationToken.IsCancellationRequested)
        {
            if (await stalled)
            {
                throw new HftpConnectionException(string.Create(CultureInfo.InvariantCulture,
                    $"no progress for {request.ClientOptions.ReadTimeout.TotalSeconds:0.###} s (--timeout); giving up"));
            }

            // Report the failure that stopped the others, not their cancellation.
            var cause = fetchers.Where(task => task.IsFaulted).Select(task => task.Exception!.InnerException!)
                .FirstOrDefault(exception => exception is not OperationCanceledException);
            if (cause is not null)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
        finally
        {
            await failed.CancelAsync();
            await stalled;
        }
    }

    // Ends the download when no byte at all was written for the timeout, whatever the connections are doing
    // (reconnecting, waiting to retry, reading a trickle): a stalled server ends the command in the timeout.
    private async Task<bool> WatchProgressAsync(TransferProgress progress, CancellationTokenSource failed)
    {
        var timeout = request.ClientOptions.ReadTimeout;
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return false;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 10, 10, 250)));
        try
        {
            while (await timer.WaitForNextTickAsync(failed.Token))
            {
                if (Stopwatch.GetElapsedTime(progress.LastProgress) > timeout)
                {
                    await failed.CancelAsync();
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The download ended or failed otherwise.
        }

        return false;
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

    // A run that wrote nothing and resumed nothing, or whose bytes are stale, leaves nothing behind; otherwise the
    // state is saved. True when the part is kept.
    private bool KeepOrDelete(PartFile part, List<RangeWriter> writers, TransferProgress progress, Exception failure)
    {
        try
        {
            if (failure is DownloadFailedException { PartIsStale: true } || (progress.Moved == 0 && part.Resumed.Done.Count == 0))
            {
                part.Delete();
                return false;
            }

            part.Save(writers);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Warn($"{part.Path}: could not record its resume state: {exception.Message}");
        }

        return true;
    }

    private void Warn(string message) => console.Error.WriteLine($"hftp: {message}");
}
