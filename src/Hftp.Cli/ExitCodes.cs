namespace Hftp.Cli;

/// <summary>What <c>hftp</c> exits with; scripts can tell a missing file from a dead server.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A bad command line or argument (System.CommandLine's own code for parse errors), or a bad ALL_PROXY.</summary>
    public const int Usage = Hftp.CommandLine.ParseErrors.ExitCode;

    /// <summary>The server answered with an error status (202 FILE NOT FOUND, 203 ...).</summary>
    public const int ServerError = 2;

    /// <summary>
    /// No connection (refused, unresolvable, no socket could be made), a dropped connection, a silent server, a reply
    /// that is not HFTP; or a proxy that cannot be reached, refuses the login, stalls, or could not reach the server.
    /// </summary>
    public const int NetworkError = 3;

    /// <summary>A local file could not be written or read.</summary>
    public const int LocalError = 4;

    /// <summary>The output file already exists and <c>--force</c> was not given; it is left untouched.</summary>
    public const int OutputExists = 5;

    /// <summary>The saved bytes do not have the SHA-256 given with <c>--checksum</c>; the part is kept.</summary>
    public const int ChecksumMismatch = 6;

    /// <summary>Interrupted (Ctrl+C or SIGTERM); a partial download stays as <c>.part</c>.</summary>
    public const int Interrupted = 130;
}
