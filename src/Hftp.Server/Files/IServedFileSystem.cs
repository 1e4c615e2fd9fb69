namespace Hftp.Server.Files;

/// <summary>
/// The platform-specific half of <see cref="FileStore"/>: how one entry of the served directory is examined and
/// opened. Both back ends make the same decision (a regular file, or a link to one inside the root, that this
/// process may read; never a directory, FIFO, socket or device; no open that can block); they differ in how
/// much of it the platform lets them guarantee (README, Platforms).
/// </summary>
internal interface IServedFileSystem
{
    /// <summary>The back end's name, as logged at start.</summary>
    FileBackEnd Kind { get; }

    /// <summary>Whether the entry <paramref name="name"/> of the served directory is served, and its size.</summary>
    FileExamination Examine(string name);

    /// <summary>
    /// Opens a served entry for reading into <paramref name="file"/>, verified as a regular file through the open
    /// handle; false when it is not served (any more). Throws <see cref="IOException"/> when it cannot be examined at all.
    /// </summary>
    bool TryOpen(string name, ServedFile file);
}
