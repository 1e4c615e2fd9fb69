namespace Hftp.Cli;

/// <summary>A download refused or stopped for a reason the user must act on; carries its exit code.</summary>
public sealed class DownloadFailedException : Exception
{
    public DownloadFailedException()
    {
    }

    public DownloadFailedException(string message)
        : base(message)
    {
    }

    public DownloadFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DownloadFailedException(int exitCode, string message)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; } = ExitCodes.LocalError;

    /// <summary>The part's bytes are of no use to a later run (the file changed on the server): remove it.</summary>
    public bool PartIsStale { get; init; }
}
