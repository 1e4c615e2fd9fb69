namespace Hftp.Protocol;

/// <summary>The four HFTP commands.</summary>
public enum Command
{
    GetFileListing,
    GetMetadata,
    GetSlice,
    Quit,
}
