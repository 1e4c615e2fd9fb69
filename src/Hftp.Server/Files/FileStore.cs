using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Hftp.Protocol;
using Serilog;

namespace Hftp.Server.Files;

/// <summary>
/// The only code that touches the file system. It decides what a served file is: a regular file directly
/// inside the served directory, or a symlink that resolves to a regular file inside it. Directories, FIFOs,
/// sockets and devices are never listed nor opened, and no open can block. It never writes.
/// </summary>
internal sealed class FileStore
{
    // Entries whose failure was already logged, bounded so that a huge broken directory cannot grow it for ever.
    private const int MaxUnlistableReported = 1024;

    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, int> _unlistable = new(StringComparer.Ordinal);
    private int _reportedMissing;

    public FileStore(string directory, ILogger logger)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("hftp-server serves files on Linux only.");
        }

        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        _logger = logger;
    }

    /// <summary>The served directory, as an absolute path.</summary>
    public string Root { get; }

    public bool Exists => Directory.Exists(Root);

    /// <summary>Every served file with a valid FILENAME, in ordinal order. Empty while the directory is missing.</summary>
    public IReadOnlyList<string> ListFiles()
    {
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(Root);
        }
        catch (DirectoryNotFoundException)
        {
            ReportMissing();
            return [];
        }

        ReportPresent();
        var names = new List<string>(entries.Length);
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            switch (Examine(name, out _, out var error))
            {
                case Verdict.Served:
                    names.Add(name);
                    ForgetUnlistable(name);
                    break;
                case Verdict.Failed:
                    // One entry that cannot be examined (ESTALE, ENOTCONN, EACCES on the directory) leaves the rest listed.
                    ReportUnlistable(name, error);
                    break;
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>The size of a served file, without opening it. False when no such file is served.</summary>
    public bool TryGetSize(string name, out long size) => Examine(name, out size, out var error) switch
    {
        Verdict.Served => true,
        Verdict.NotServed => false,
        _ => throw Failure(error, name),
    };

    // The one decision of what is served, entry by entry: a regular file (or a symlink to one inside the root)
    // that this process may read. Failed: the entry could not be examined, with the errno.
    private Verdict Examine(string name, out long size, out int error)
    {
        size = 0;
        if (!IsServableName(name))
        {
            error = 0;
            return Verdict.NotServed;
        }

        var path = Path.Join(Root, name);
        error = LinuxFiles.TryStat(path, followSymlink: false, out var kind, out size, out var readableByEveryone);
        if (error != 0)
        {
            return IsNotFound(error) ? NotFound(error) : Verdict.Failed;
        }

        ReportPresent();
        var served = kind switch
        {
            FileKind.Regular => readableByEveryone || LinuxFiles.CanRead(path),
            FileKind.SymbolicLink => TryResolveLink(path, out size),
            _ => false,
        };
        return served ? Verdict.Served : Verdict.NotServed;
    }

    /// <summary>Opens a served file for reading, or returns null when no such file is served.</summary>
    public ServedFile? Open(string name)
    {
        // Checking the type first means a device or FIFO is never even opened.
        if (!TryGetSize(name, out _))
        {
            return null;
        }

        var path = Path.Join(Root, name);
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

    private static bool IsServableName(string name) =>
        Syntax.IsValidFileName(name) && name is not "." and not "..";

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
        var canonicalRoot = LinuxFiles.RealPath(Root);
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

    private Verdict NotFound(int error)
    {
        if (error is LinuxFiles.NoSuchEntry or LinuxFiles.NotADirectory && !Exists)
        {
            ReportMissing();
        }

        return Verdict.NotServed;
    }

    // Once per entry while it keeps failing, not once per listing: clients list often.
    private void ReportUnlistable(string name, int error)
    {
        if (_unlistable.Count < MaxUnlistableReported && _unlistable.TryAdd(name, error))
        {
            _logger.Warning("Leaving {Name} out of the listing: {Error}", name, Marshal.GetPInvokeErrorMessage(error));
        }
    }

    private void ForgetUnlistable(string name)
    {
        if (!_unlistable.IsEmpty)
        {
            _unlistable.TryRemove(name, out _);
        }
    }

    private static IOException Failure(int error, string name) =>
        new($"Cannot read '{name}': {Marshal.GetPInvokeErrorMessage(error)}");

    // Logged once per disappearance, not once per request: the course suite removes the directory often.
    private void ReportMissing()
    {
        if (Interlocked.Exchange(ref _reportedMissing, 1) == 0)
        {
            _logger.Warning("Served directory {Directory} does not exist; serving nothing until it does", Root);
        }
    }

    private void ReportPresent()
    {
        // A plain read first keeps the hot path free of a write to a shared cache line.
        if (Volatile.Read(ref _reportedMissing) == 1 && Interlocked.Exchange(ref _reportedMissing, 0) == 1)
        {
            _logger.Information("Served directory {Directory} exists again", Root);
        }
    }

    private enum Verdict
    {
        Served,
        NotServed,
        Failed,
    }
}
