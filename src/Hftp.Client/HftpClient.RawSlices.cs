using System.Globalization;
using System.Text;
using Hftp.Protocol;

namespace Hftp.Client;

/// <summary>The 2026 revision's requests: raw slices, with the fallback to base64 for classic servers, and <c>help</c>.</summary>
public sealed partial class HftpClient
{
    /// <summary>
    /// Reads bytes <c>[offset, offset+length)</c> of <paramref name="name"/> as a raw slice (2026): no encoding, the
    /// bytes streamed to <paramref name="destination"/> as they arrive. A classic server answers 201
    /// (an <see cref="HftpStatusException"/>); <see cref="ReadSlicePreferringRawAsync"/> falls back by itself.
    /// </summary>
    public Task ReadRawSliceAsync(
        string name, long offset, long length, Stream destination, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        ExchangeRawSliceAsync(name, offset, length, destination, progress, null, cancellationToken);

    /// <summary>
    /// Reads bytes <c>[offset, offset+length)</c> of <paramref name="name"/> raw when the server has raw slices, in
    /// base64 when it does not. <paramref name="rawSlices"/> remembers which, for every connection that shares it:
    /// the first slice asks raw; after a 201 to that (a classic server), the same slice and all later ones are asked
    /// in base64, without an error.
    /// </summary>
    public async Task ReadSlicePreferringRawAsync(
        string name, long offset, long length, Stream destination, RawSliceSupport rawSlices, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rawSlices);
        CheckSlice(name, offset, length);
        if (await rawSlices.ShouldAskRawAsync(cancellationToken))
        {
            try
            {
                if (await ExchangeRawSliceAsync(name, offset, length, destination, progress, rawSlices, cancellationToken))
                {
                    return;
                }
            }
            finally
            {
                rawSlices.GiveUp(); // lets another connection ask, when this one failed before the status line
            }
        }

        await ReadSliceAsync(name, offset, length, destination, progress, cancellationToken);
    }

    /// <summary>
    /// Asks <c>help</c> (2026) and returns the command names the server lists. A classic server has no such command:
    /// its 200 becomes an <see cref="HftpStatusException"/> that says so.
    /// </summary>
    public Task<IReadOnlyList<string>> GetCommandsAsync(CancellationToken cancellationToken = default) =>
        ExchangeAsync<IReadOnlyList<string>>(Requests.Help, async () =>
        {
            var (status, message) = await ReadStatusAsync(cancellationToken);
            return status switch
            {
                StatusCode.Ok => [.. (await ReadListingAsync(cancellationToken)).Select(name => Encoding.ASCII.GetString(name))],
                StatusCode.NoSuchCommand => throw new HftpStatusException(
                    $"this server has no help command (classic HFTP: it answered {(int)status} {message})", status, message),
                _ => throw new HftpStatusException(status, message, null),
            };
        }, cancellationToken);

    private static void CheckSlice(string name, long offset, long length)
    {
        CheckName(name);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
    }

    // A line typed as a raw slice request (`get_slice NAME OFFSET SIZE raw`): its 0 OK has a header and SIZE raw bytes.
    private static bool IsRawSliceRequest(string line, out long size)
    {
        var elements = line.Split((char)Syntax.Space);
        size = 0;
        if (elements is not [_, _, _, var sizeText, var token] || !Ascii.Equals(token, Syntax.RawToken))
        {
            return false;
        }

        return long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out size)
            ? true
            : throw new HftpProtocolException($"The server served a raw slice of SIZE '{sizeText}', which no server can send");
    }

    /// <summary>
    /// Sends the raw request and reads its reply into <paramref name="destination"/>. With <paramref name="rawSlices"/>,
    /// its status teaches whether the server has raw slices, and a 201 returns false (ask in base64) instead of throwing.
    /// </summary>
    private Task<bool> ExchangeRawSliceAsync(
        string name, long offset, long length, Stream destination, IProgress<long>? progress, RawSliceSupport? rawSlices,
        CancellationToken cancellationToken)
    {
        CheckSlice(name, offset, length);
        return ExchangeAsync(Requests.GetRawSlice(name, offset, length), async () =>
        {
            var (status, message) = await ReadStatusAsync(cancellationToken);
            if (rawSlices is not null && status is StatusCode.Ok or StatusCode.InvalidArguments)
            {
                // 201 to a well-formed request: the fourth element is what this server does not know.
                rawSlices.Learn(isSupported: status == StatusCode.Ok);
            }

            if (status == StatusCode.InvalidArguments && rawSlices is not null)
            {
                return false;
            }

            if (status != StatusCode.Ok)
            {
                throw new HftpStatusException(status, message, name);
            }

            await RawSliceReader.ReadAsync(_replies, destination, length, progress, cancellationToken);
            return true;
        }, cancellationToken);
    }
}
