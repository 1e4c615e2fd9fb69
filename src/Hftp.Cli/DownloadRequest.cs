using Hftp.Client;

namespace Hftp.Cli;

/// <summary>What <c>hftp get</c> was asked to do.</summary>
public sealed record DownloadRequest(
    string Host,
    int Port,
    string Name,
    string? Output,
    long Offset,
    long? Length,
    bool Continue,
    int Connections,
    bool Quiet,
    bool Force = false,
    int Retries = RetryPolicy.DefaultRetries,
    string OverwriteHint = "use --force to replace it")
{
    /// <summary>Timeouts, limits and proxy of every connection.</summary>
    public HftpClientOptions ClientOptions { get; init; } = new();

    /// <summary>Whether the server has raw slices, as learnt by the first connection and known to all the others.</summary>
    public RawSliceSupport RawSlices { get; init; } = new();

    /// <summary>The SHA-256 the saved bytes must have (<c>--checksum sha256=HEX</c>), if any.</summary>
    public byte[]? ExpectedSha256 { get; init; }

    /// <summary>Print the SHA-256 of the saved bytes (<c>--print-sha256</c>).</summary>
    public bool PrintSha256 { get; init; }
}
