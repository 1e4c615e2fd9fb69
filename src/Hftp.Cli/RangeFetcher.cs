using System.Collections.Concurrent;
using System.Globalization;
using Hftp.Client;

namespace Hftp.Cli;

/// <summary>
/// One connection of a download: takes ranges from the shared queue until none are left. When the connection
/// drops it waits (<see cref="RetryPolicy"/>), reconnects, checks that the file still has the size the download
/// started with, and goes on from the range's last written byte. Server answers (202, 203 ...) are not retried.
/// </summary>
internal sealed class RangeFetcher(DownloadRequest request, long size, RetryPolicy retryPolicy, Action<string> warn)
{
    /// <summary>Runs until the queue is empty; on a failure it cancels <paramref name="failed"/> to stop the other connections.</summary>
    public async Task RunAsync(ConcurrentQueue<RangeWriter> queue, CancellationTokenSource failed)
    {
        var cancellationToken = failed.Token;
        HftpClient? client = null;
        try
        {
            while (queue.TryDequeue(out var writer))
            {
                var failures = 0;
                while (writer.Remaining > 0)
                {
                    var before = writer.Written;
                    try
                    {
                        if (client is null)
                        {
                            client = await HftpClient.ConnectAsync(request.Host, request.Port, request.ClientOptions, cancellationToken);
                            if (failures > 0)
                            {
                                await CheckSizeAsync(client, cancellationToken);
                            }
                        }

                        await client.ReadSlicePreferringRawAsync(
                            request.Name, request.Offset + writer.Start + writer.Written, writer.Remaining, writer, request.RawSlices, null, cancellationToken);
                    }
                    catch (HftpConnectionException exception) when (!cancellationToken.IsCancellationRequested)
                    {
                        client?.Dispose();
                        client = null;
                        failures = writer.Written > before ? 1 : failures + 1; // progress restarts the count
                        if (failures > retryPolicy.Retries)
                        {
                            throw;
                        }

                        // One line per retry, naming the bytes it is for: with -j, each connection retries its own range.
                        var delay = retryPolicy.DelayBefore(failures);
                        var from = request.Offset + writer.Start + writer.Written;
                        warn(string.Create(CultureInfo.InvariantCulture,
                            $"{request.Name} bytes {from}-{request.Offset + writer.End - 1}: {exception.Message}; retry {failures} of {retryPolicy.Retries} in {delay.TotalSeconds:0.0#} s"));
                        await Task.Delay(delay, cancellationToken);
                    }
                }
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            await failed.CancelAsync();
            throw;
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }
    }

    private async Task CheckSizeAsync(HftpClient client, CancellationToken cancellationToken)
    {
        var now = await client.GetSizeAsync(request.Name, cancellationToken);
        if (now != size)
        {
            throw new DownloadFailedException(ExitCodes.ServerError, string.Create(CultureInfo.InvariantCulture,
                $"{request.Name} changed on the server during the download ({size} bytes, now {now}); what was saved is removed: run again to start over"))
            {
                PartIsStale = true,
            };
        }
    }
}
