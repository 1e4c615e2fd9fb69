using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli.Files;

/// <summary>
/// Every file-system step a download takes, in one place: <see cref="PartFile"/> and the range writers touch the
/// disk only through it, so a test can fail (or stop dead, as a kill would) any one step and check what is left.
/// No method follows a symbolic link.
/// </summary>
internal interface IDownloadFileSystem
{
    /// <summary>What <paramref name="path"/> is (lstat).</summary>
    PathKind Inspect(string path);

    /// <summary>
    /// Opens (creating it when missing) and locks a part file; null when another process holds its lock. The handle
    /// returned is a regular file that <paramref name="path"/> still names.
    /// </summary>
    SafeFileHandle? TryOpenLocked(string path, out bool created);

    /// <summary>
    /// Releases the lock <see cref="TryOpenLocked"/> took, before the handle is closed: a child process forked
    /// meanwhile (by the program hosting the download) holds a copy of the descriptor until it runs its program, and
    /// with that copy the lock, so closing alone may leave the part locked for a moment after the download ended.
    /// </summary>
    void Unlock(SafeFileHandle file);

    long GetLength(SafeFileHandle file);

    void SetLength(SafeFileHandle file, long length);

    ValueTask WriteAsync(SafeFileHandle file, ReadOnlyMemory<byte> bytes, long offset, CancellationToken cancellationToken);

    int Read(SafeFileHandle file, Span<byte> buffer, long offset);

    /// <summary>fsync: the bytes written so far survive a crash or a power cut.</summary>
    void FlushToDisk(SafeFileHandle file);

    /// <summary>A small file's text; null when there is no such file.</summary>
    string? ReadText(string path);

    /// <summary>Creates (or empties) a file, writes <paramref name="content"/> and flushes it to disk.</summary>
    void WriteFile(string path, ReadOnlySpan<byte> content);

    /// <summary>rename(2): atomic, replaces <paramref name="destination"/>.</summary>
    void Rename(string source, string destination);

    /// <summary>Removes a name, if there is one.</summary>
    void Delete(string path);

    /// <summary>Makes the renames and removals in <paramref name="directory"/> durable.</summary>
    void FlushDirectory(string directory);

    /// <summary>Bytes this user may still write on the file system holding <paramref name="directory"/>.</summary>
    long AvailableBytes(string directory);
}
