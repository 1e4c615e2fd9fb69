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
    private readonly ILogger _logger;
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
            if (TryGetSize(name, out _))
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>The size of a served file, without opening it. False when no such file is served.</summary>
    public bool TryGetSize(string name, out long size)
    {
        size = 0;
        if (!IsServableName(name))
        {
            return false;
        }

        var path = Path.Join(Root, name);
        var error = LinuxFiles.TryStat(path, followSymlink: false, out var kind, out size);
        if (error != 0)
        {
            return IsNotFound(error) ? NotFound(error) : throw Failure(error, name);
        }

        ReportPresent();
        return kind switch
        {
            FileKind.Regular => true,
            FileKind.SymbolicLink => TryResolveLink(path, out size),
            _ => false,
        };
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
            return IsNotFound(error) ? null : throw Failure(error, name);
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
            && LinuxFiles.TryStat(target, followSymlink: true, out var kind, out size) == 0
            && kind == FileKind.Regular;
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

    private bool NotFound(int error)
    {
        if (error is LinuxFiles.NoSuchEntry or LinuxFiles.NotADirectory && !Exists)
        {
            ReportMissing();
        }

        return false;
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
}
