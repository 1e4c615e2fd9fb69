namespace Hftp.Server.Files;

/// <summary>What a directory entry is, as far as serving it is concerned.</summary>
internal enum FileKind
{
    Regular,
    SymbolicLink,
    Directory,

    /// <summary>FIFO, socket, device: never listed, never opened.</summary>
    Other,
}
