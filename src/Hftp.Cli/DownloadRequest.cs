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
    string OverwriteHint = "use --force to replace it",
    HftpClientOptions? ClientOptions = null)
{
    /// <summary>Whether the server has raw slices, as learnt by the first connection and known to all the others.</summary>
    public RawSliceSupport RawSlices { get; init; } = new();
}
