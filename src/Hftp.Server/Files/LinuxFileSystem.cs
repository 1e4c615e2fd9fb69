using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace Hftp.Server.Files;

/// <summary>
/// The Linux back end: statx decides without opening, open(O_NOFOLLOW | O_NONBLOCK) can never block, the open
/// descriptor is checked again (statx, and realpath of /proc/self/fd for a link), so nothing swapped in between is
/// served. An entry's path is built as bytes on the stack and files are held as raw descriptors: examining and
/// opening an ordinary file allocates nothing.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxFileSystem(string root) : IServedFileSystem
{
    // Root, separator, a name of up to NAME_MAX bytes and the NUL fit here for any root of up to 250 bytes; a longer
    // root borrows a pooled array instead.
    private const int StackPathLength = 512;

    private readonly byte[] _rootPrefix = Encoding.UTF8.GetBytes(Path.EndsInDirectorySeparator(root) ? root : root + "/");
    private readonly byte[] _rootPath = Encoding.UTF8.GetBytes(root + "\0");

    public FileBackEnd Kind => FileBackEnd.Linux;

    // Entries read per getdents64 call: a few hundred names.
    private const int DirectoryBufferSize = 16 * 1024;

    public FileExamination Examine(string name)
    {
        byte[]? rented = null;
        var path = EntryPath(name, stackalloc byte[StackPathLength], ref rented);
        return ExamineThenReturn(path, rented);
    }

    public FileExamination Examine(ReadOnlySpan<byte> name)
    {
        byte[]? rented = null;
        var path = EntryPath(name, stackalloc byte[StackPathLength], ref rented);
        return ExamineThenReturn(path, rented);
    }

    public bool TryEnumerate(FileListing names)
    {
        var error = LinuxFiles.TryOpenDirectory(_rootPath, out var descriptor);
        if (error != 0)
        {
            return error is LinuxFiles.NoSuchEntry or LinuxFiles.NotADirectory
                ? false
                : throw new IOException($"Cannot list {root}: {Marshal.GetPInvokeErrorMessage(error)}");
        }

        // Root may read a directory of mode 000; the protocol counts it unreadable all the same (2026: 199).
        if (LinuxFiles.TryStat(descriptor, out _, out _, out var hasReadPermissionBit) == 0 && !hasReadPermissionBit)
        {
            LinuxFiles.Close(descriptor);
            throw new UnreadableFileException(root, "it has no read permission bit");
        }

        var buffer = ArrayPool<byte>.Shared.Rent(DirectoryBufferSize);
        try
        {
            LinuxFiles.ReadDirectory(descriptor, buffer, names);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            LinuxFiles.Close(descriptor);
        }
    }

    // rented: the array EntryPath borrowed for a long path, if any, given back whatever happens.
    private FileExamination ExamineThenReturn(ReadOnlySpan<byte> path, byte[]? rented)
    {
        try
        {
            return ExamineAt(path);
        }
        finally
        {
            Return(rented);
        }
    }

    // path: root + "/" + name + NUL.
    private FileExamination ExamineAt(ReadOnlySpan<byte> path)
    {
        var error = LinuxFiles.TryStat(path, followSymlink: false, out var kind, out var size);
        if (error != 0)
        {
            return error switch
            {
                LinuxFiles.NoSuchEntry or LinuxFiles.NotADirectory => FileExamination.Absent,
                _ when IsNotFound(error) => FileExamination.NotServed,
                _ => FileExamination.Failed(Marshal.GetPInvokeErrorMessage(error)),
            };
        }

        var served = kind switch
        {
            // A regular file is served even when it cannot be read: listed, sized, and its slices answered 199 (2026).
            FileKind.Regular => true,
            FileKind.SymbolicLink => TryResolveLink(Encoding.UTF8.GetString(path[..^1]), out size),
            _ => false,
        };
        return served ? FileExamination.Served(size) : FileExamination.NotServed;
    }

    public bool TryOpen(string name, ServedFile file)
    {
        byte[]? rented = null;
        var path = EntryPath(name, stackalloc byte[StackPathLength], ref rented);
        try
        {
            return TryOpen(path, name, file);
        }
        finally
        {
            Return(rented);
        }
    }

    private bool TryOpen(ReadOnlySpan<byte> path, string name, ServedFile file)
    {
        var error = LinuxFiles.TryOpenForReading(path, followSymlink: false, out var descriptor);
        if (error == LinuxFiles.TooManySymbolicLinks)
        {
            error = LinuxFiles.TryOpenForReading(path, followSymlink: true, out descriptor);
            if (error == 0 && !IsInsideRoot(LinuxFiles.RealPath(descriptor)))
            {
                LinuxFiles.Close(descriptor);
                return false;
            }
        }

        if (error != 0)
        {
            // EACCES and EPERM included: a served file that may not be read is a failure to read it (199, 2026).
            return IsNotFound(error) ? false : throw Failure(error, name);
        }

        // The name may have been swapped since it was checked: trust only what the open descriptor is.
        error = LinuxFiles.TryStat(descriptor, out var kind, out var length, out var hasReadPermissionBit);
        if (error != 0 || kind != FileKind.Regular || !hasReadPermissionBit)
        {
            LinuxFiles.Close(descriptor);
            return error == 0 && kind != FileKind.Regular ? false : throw Failure(error == 0 ? LinuxFiles.PermissionDenied : error, name);
        }

        file.Assign(descriptor, length);
        return true;
    }

    private ReadOnlySpan<byte> EntryPath(ReadOnlySpan<byte> name, Span<byte> stackBuffer, ref byte[]? rented)
    {
        var length = _rootPrefix.Length + name.Length + 1;
        var buffer = length <= stackBuffer.Length ? stackBuffer : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan();
        _rootPrefix.CopyTo(buffer);
        name.CopyTo(buffer[_rootPrefix.Length..]);
        buffer[length - 1] = 0;
        return buffer[..length];
    }

    // root + "/" + name + NUL, as the kernel reads a path.
    private ReadOnlySpan<byte> EntryPath(string name, Span<byte> stackBuffer, ref byte[]? rented)
    {
        var length = _rootPrefix.Length + Encoding.UTF8.GetByteCount(name) + 1;
        var buffer = length <= stackBuffer.Length ? stackBuffer : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan();
        _rootPrefix.CopyTo(buffer);
        var written = Encoding.UTF8.GetBytes(name, buffer[_rootPrefix.Length..]);
        buffer[_rootPrefix.Length + written] = 0;
        return buffer[..(_rootPrefix.Length + written + 1)];
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private bool TryResolveLink(string path, out long size)
    {
        size = 0;
        var target = LinuxFiles.RealPath(path);
        return target is not null
            && IsInsideRoot(target)
            && LinuxFiles.TryStat(target, followSymlink: true, out var kind, out size) == 0
            && kind == FileKind.Regular;
    }

    private bool IsInsideRoot(string? canonicalPath)
    {
        var canonicalRoot = LinuxFiles.RealPath(root);
        if (canonicalPath is null || canonicalRoot is null)
        {
            return false;
        }

        var prefix = canonicalRoot.EndsWith('/') ? canonicalRoot : canonicalRoot + "/";
        return canonicalPath.Length > prefix.Length && canonicalPath.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static bool IsNotFound(int error) =>
        error is LinuxFiles.NoSuchEntry or LinuxFiles.NotADirectory or LinuxFiles.NameTooLong or LinuxFiles.TooManySymbolicLinks
            or LinuxFiles.NoSuchDeviceOrAddress;

    private static IOException Failure(int error, string name) => error is LinuxFiles.PermissionDenied or LinuxFiles.OperationNotPermitted
        ? new UnreadableFileException(name, Marshal.GetPInvokeErrorMessage(error))
        : new IOException($"Cannot read '{name}': {Marshal.GetPInvokeErrorMessage(error)}");
}
