namespace Hftp.Protocol;

/// <summary>The HFTP commands, in the order <c>help</c> lists them.</summary>
public enum Command
{
    GetFileListing,
    GetMetadata,
    GetSlice,

    /// <summary>2026: lists the commands.</summary>
    Help,
    Quit,
}
