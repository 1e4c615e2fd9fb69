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

    /// <summary>As <see cref="Examine(string)"/>, for a name as the directory holds it (UTF-8 bytes).</summary>
    FileExamination Examine(ReadOnlySpan<byte> name);

    /// <summary>
    /// Adds the name of every entry of the served directory (but <c>.</c> and <c>..</c>) to <paramref name="names"/>,
    /// unexamined; false when the directory does not exist. Throws <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when it cannot be read.
    /// </summary>
    bool TryEnumerate(FileListing names);

    /// <summary>
    /// Opens a served entry for reading into <paramref name="file"/>, verified as a regular file through the open
    /// handle; false when it is not served (any more). Throws <see cref="IOException"/> when it cannot be examined at all.
    /// </summary>
    bool TryOpen(string name, ServedFile file);
}
