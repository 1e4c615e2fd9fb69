using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Server.Files;

/// <summary>What examining one entry found: served with its size and the path to open (a link's target, resolved), not
/// served, absent, or a failure to examine it.</summary>
internal readonly record struct FileExamination(FileVerdict Verdict, long Size, string? Error, string? Path = null)
{
    public static FileExamination NotServed => new(FileVerdict.NotServed, 0, null);

    /// <summary>No such entry: it, or the served directory itself, does not exist.</summary>
    public static FileExamination Absent => new(FileVerdict.Absent, 0, null);

    public static FileExamination Served(long size, string path) => new(FileVerdict.Served, size, null, path);

    public static FileExamination Failed(string error) => new(FileVerdict.Failed, 0, error);
}

internal enum FileVerdict
{
    Served,
    NotServed,
    Absent,

    /// <summary>The entry could not be examined (ESTALE, ENOTCONN, EACCES on the directory).</summary>
    Failed,
}

/// <summary>A served file that may not be read: its open was refused (EACCES, EPERM) or its mode has no read permission
/// bit. Answered 199 like any failure to read (PROTOCOL.md, 2026), yet still listed and sized.</summary>
internal sealed class UnreadableFileException(string name, string reason) : IOException($"Cannot read '{name}': {reason}");

/// <summary>Examines and opens the served directory's entries, on Unix and Windows. Types and links come from .NET's
/// file APIs (attributes, LinkTarget, a managed realpath); on Unix the open is <see cref="PosixFiles"/>' non-blocking,
/// no-follow one, so a FIFO never blocks; on Windows an open cannot block, and attributes tell directories, devices and
/// links. Open handles are checked again (no directory or device; on Unix, seekable) before serving.</summary>
internal sealed class ServedDirectory
{
    private const UnixFileMode AnyRead = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    // NTFS compares names case-insensitively; elsewhere an exact match is the safe reading.
    private static readonly StringComparison PathComparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private readonly string _root;

    // The systems whose open flags and error numbers PosixFiles knows.
    [SupportedOSPlatformGuard("linux")]
    [SupportedOSPlatformGuard("macos")]
    [SupportedOSPlatformGuard("freebsd")]
    private static bool IsPosix => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD();

    public ServedDirectory(string root)
    {
        if (!OperatingSystem.IsWindows() && !IsPosix)
        {
            throw new PlatformNotSupportedException("hftp-server knows how to open files without blocking on Linux, macOS, FreeBSD and Windows only.");
        }

        _root = root;
    }

    /// <summary>Examines the entry <paramref name="name"/> afresh through <paramref name="entry"/>, its FileInfo, which
    /// no other thread may use meanwhile.</summary>
    public FileExamination Examine(FileInfo entry, string name)
    {
        var path = entry.FullName;
        try
        {
            // Kept only to spare the allocations: what it knew of the entry is forgotten.
            entry.Refresh();
            if (!Exists(entry))
            {
                return FileExamination.Absent;
            }

            if (IsLink(entry))
            {
                var target = ResolveInsideRoot(path);
                if (target is null)
                {
                    return FileExamination.NotServed;
                }

                path = target;
                entry = new FileInfo(target);
                if (!Exists(entry))
                {
                    return FileExamination.NotServed;
                }
            }

            if ((entry.Attributes & (FileAttributes.Directory | FileAttributes.Device)) != 0)
            {
                return FileExamination.NotServed;
            }

            var size = entry.Length;
            return IsCertainlyRegular(size) || Probe(path, name) ? FileExamination.Served(size, path) : FileExamination.NotServed;
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            // No such entry, or it was removed while being examined.
            return FileExamination.Absent;
        }
        catch (UnauthorizedAccessException)
        {
            return FileExamination.Failed("Permission denied");
        }
        catch (IOException exception)
        {
            return FileExamination.Failed(exception.Message);
        }
    }

    /// <summary>The names of the directory's entries, unexamined; null when the directory does not exist.</summary>
    public IEnumerable<string>? TryEnumerate()
    {
        string[] entries;
        try
        {
            // Root may read a directory of mode 000; the protocol counts it unreadable all the same (2026: 199).
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(_root) & AnyRead) == 0)
            {
                throw new UnreadableFileException(_root, "it has no read permission bit");
            }

            entries = Directory.GetFileSystemEntries(_root);
        }
        catch (Exception exception) when (exception is DirectoryNotFoundException or FileNotFoundException)
        {
            return null;
        }

        return entries.Select(Path.GetFileName).OfType<string>();
    }

    /// <summary>Opens <paramref name="path"/> (a served entry's, just examined) into <paramref name="file"/>; false when
    /// it is no longer a file to serve: on Unix the open follows no link, so a name swapped since for a link is refused.</summary>
    public static bool TryOpen(string path, string name, ServedFile file)
    {
        if (OpenVerified(path, name) is not { } handle)
        {
            return false;
        }

        file.Assign(handle, RandomAccess.GetLength(handle));
        return true;
    }

    // Attributes throws for an entry that cannot be examined (EACCES, ESTALE), where Exists would only say false.
    private static bool Exists(FileInfo entry) => (int)entry.Attributes != -1;

    // A reparse point that is no link (a cloud placeholder, say) is an ordinary file to read.
    private static bool IsLink(FileInfo entry) =>
        (entry.Attributes & FileAttributes.ReparsePoint) != 0 && entry.LinkTarget is not null;

    // The size settles most files without an open: on Unix a FIFO, socket or device has none, so a file with bytes
    // is a regular file, readable or not. Windows has no FIFOs in directories, and opens are worth avoiding.
    private static bool IsCertainlyRegular(long size) => OperatingSystem.IsWindows() || size > 0;

    // An empty entry may be a FIFO or socket: only opening it (without blocking) tells.
    private static bool Probe(string path, string name)
    {
        try
        {
            using var handle = OpenVerified(path, name);
            return handle is not null;
        }
        catch (UnreadableFileException)
        {
            // A file we may not read is still served (listed, sized; its slices answered 199).
            return true;
        }
    }

    private string? ResolveInsideRoot(string path)
    {
        var target = CanonicalPath.Resolve(path);
        var root = CanonicalPath.Resolve(_root);
        if (target is null || root is null)
        {
            return null;
        }

        var prefix = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return target.Length > prefix.Length && target.StartsWith(prefix, PathComparison) ? target : null;
    }

    private static SafeFileHandle? OpenVerified(string path, string name)
    {
        SafeFileHandle handle;
        if (OperatingSystem.IsWindows())
        {
            try
            {
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                throw new UnreadableFileException(name, "Permission denied");
            }
        }
        else if (IsPosix)
        {
            var error = PosixFiles.TryOpenForReading(path, out handle);
            if (error != 0)
            {
                handle.Dispose();
                return PosixFiles.MeansNotServed(error) ? null
                    : PosixFiles.MeansUnreadable(error) ? throw new UnreadableFileException(name, Marshal.GetPInvokeErrorMessage(error))
                    : throw new IOException($"Cannot read '{name}': {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }
        else
        {
            throw new PlatformNotSupportedException();
        }

        // The name may have been swapped since it was examined: trust only what the open handle is.
        var served = (File.GetAttributes(handle) & (FileAttributes.Directory | FileAttributes.Device)) == 0
            && (OperatingSystem.IsWindows() || !IsPosix || PosixFiles.CanSeek(handle));
        if (!served)
        {
            handle.Dispose();
            return null;
        }

        // Root may open a file of mode 000; the protocol counts it unreadable all the same, whoever runs the server.
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(handle) & AnyRead) == 0)
        {
            handle.Dispose();
            throw new UnreadableFileException(name, "it has no read permission bit");
        }

        return handle;
    }
}
