using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Hftp.Server.Files;

/// <summary>
/// The Linux back end: statx decides without opening, open(O_NOFOLLOW | O_NONBLOCK) can never block, the open
/// handle is checked again (fstat, and realpath of /proc/self/fd for a link), so nothing swapped in between is served.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class LinuxFileSystem(string root) : IServedFileSystem
{
    public FileBackEnd Kind => FileBackEnd.Linux;

    public FileExamination Examine(string name)
    {
        var path = Path.Join(root, name);
        var error = LinuxFiles.TryStat(path, followSymlink: false, out var kind, out var size, out var readableByEveryone);
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
            FileKind.Regular => readableByEveryone || LinuxFiles.CanRead(path),
            FileKind.SymbolicLink => TryResolveLink(path, out size),
            _ => false,
        };
        return served ? FileExamination.Served(size) : FileExamination.NotServed;
    }

    public ServedFile? Open(string name)
    {
        var path = Path.Join(root, name);
        var error = LinuxFiles.TryOpenForReading(path, followSymlink: false, out var handle);
        if (error == LinuxFiles.TooManySymbolicLinks)
        {
            handle.Dispose();
            error = LinuxFiles.TryOpenForReading(path, followSymlink: true, out handle);
            if (error == 0 && !IsInsideRoot(LinuxFiles.RealPath(handle)))
            {
                handle.Dispose();
                return null;
            }
        }

        if (error != 0)
        {
            handle.Dispose();

            // Not readable by us (an ACL or security module the permission bits did not show): not served, as when listing.
            return IsNotFound(error) || error is LinuxFiles.PermissionDenied or LinuxFiles.OperationNotPermitted ? null : throw Failure(error, name);
        }

        // The name may have been swapped since it was checked: trust only what the open handle is.
        error = LinuxFiles.TryStat(handle, out var kind, out var length);
        if (error != 0 || kind != FileKind.Regular)
        {
            handle.Dispose();
            return error == 0 ? null : throw Failure(error, name);
        }

        return new ServedFile(handle, length);
    }

    private bool TryResolveLink(string path, out long size)
    {
        size = 0;
        var target = LinuxFiles.RealPath(path);
        return target is not null
            && IsInsideRoot(target)
            && LinuxFiles.TryStat(target, followSymlink: true, out var kind, out size, out var readableByEveryone) == 0
            && kind == FileKind.Regular
            && (readableByEveryone || LinuxFiles.CanRead(target));
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

    private static IOException Failure(int error, string name) =>
        new($"Cannot read '{name}': {Marshal.GetPInvokeErrorMessage(error)}");
}
