namespace Hftp.Server;

/// <summary>Which code examines and opens the served files.</summary>
public enum FileBackEnd
{
    /// <summary>Linux on Linux, Portable elsewhere; the HFTP_FILE_BACKEND environment variable (linux, portable) overrides it.</summary>
    Automatic,

    /// <summary>statx, open(O_NOFOLLOW | O_NONBLOCK), fstat of the open file and realpath: Linux only.</summary>
    Linux,

    /// <summary>.NET's own file APIs (and, on Unix, a non-blocking open): every platform .NET runs on.</summary>
    Portable,
}
