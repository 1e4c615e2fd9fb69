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
    HftpClientOptions? ClientOptions = null);
