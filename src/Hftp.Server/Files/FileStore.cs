using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Hftp.Protocol;
using Serilog;

namespace Hftp.Server.Files;

/// <summary>
/// With <see cref="ServedDirectory"/>, the only code that touches the file system. It decides
/// what a served file is: a regular file directly inside the served directory, or a symlink that resolves to a
/// regular file inside it. Directories, FIFOs, sockets and devices are never listed nor opened, and no open can
/// block. It never writes.
/// </summary>
internal sealed class FileStore
{
    // Entries whose failure was already logged, bounded so that a huge broken directory cannot grow it for ever.
    private const int MaxUnlistableReported = 1024;

    private readonly ILogger _logger;
    private readonly ServedDirectory _backEnd;
    private readonly ConcurrentDictionary<string, int> _unlistable = new(StringComparer.Ordinal);
    private int _reportedMissing;

    public FileStore(string directory, ILogger logger)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        _logger = logger;
        _backEnd = new ServedDirectory(Root);
    }

    /// <summary>The served directory, as an absolute path.</summary>
    public string Root { get; }

    public bool Exists => Directory.Exists(Root);

    /// <summary>
    /// Every served file with a valid FILENAME, in ordinal order; empty while the directory is missing.
    /// </summary>
    public List<string> ListFiles()
    {
        var served = new List<string>();
        if (_backEnd.TryEnumerate() is not { } names)
        {
            ReportMissing();
            return served;
        }

        ReportPresent();
        foreach (var name in names)
        {
            var verdict = Examine(name, out _, out var error);
            if (verdict == FileVerdict.Served)
            {
                served.Add(name);
                ForgetUnlistable(name);
            }
            else if (verdict == FileVerdict.Failed)
            {
                // One entry that cannot be examined (ESTALE, ENOTCONN, EACCES on the directory) leaves the rest listed.
                ReportUnlistable(name, error);
            }
        }

        served.Sort(StringComparer.Ordinal);
        return served;
    }

    /// <summary>The size of the served file a request names (ASCII, as checked by the reader); false when none is served.</summary>
    public bool TryGetSize(ReadOnlySpan<byte> name, out long size) => TryGetSize(Encoding.ASCII.GetString(name), out size);

    /// <summary>Opens the served file a request names; the name becomes a path here, once.</summary>
    public bool TryOpen(ReadOnlySpan<byte> name, ServedFile file) => TryOpen(Encoding.ASCII.GetString(name), file);

    /// <summary>The size of a served file, without opening it. False when no such file is served.</summary>
    public bool TryGetSize(string name, out long size) => Examine(name, out size, out var error) switch
    {
        FileVerdict.Served => true,
        FileVerdict.NotServed => false,
        _ => throw Failure(error, name),
    };

    // The one decision of what is served, entry by entry (the back end's), with the reporting around it.
    private FileVerdict Examine(string name, out long size, out string? error)
    {
        size = 0;
        error = null;
        if (!IsServableName(name))
        {
            return FileVerdict.NotServed;
        }

        var examination = _backEnd.Examine(name);
        size = examination.Size;
        error = examination.Error;
        return Judge(examination);
    }

    private FileVerdict Judge(FileExamination examination)
    {
        switch (examination.Verdict)
        {
            case FileVerdict.Failed:
                return FileVerdict.Failed;
            case FileVerdict.Absent:
                if (!Exists)
                {
                    ReportMissing();
                }

                return FileVerdict.NotServed;
            default:
                ReportPresent();
                return examination.Verdict == FileVerdict.Served ? FileVerdict.Served : FileVerdict.NotServed;
        }
    }

    /// <summary>Opens a served file for reading into <paramref name="file"/>; false when no such file is served.</summary>
    public bool TryOpen(string name, ServedFile file) =>
        // Checking the type first means a device or FIFO is never even opened.
        TryGetSize(name, out _) && _backEnd.TryOpen(name, file);

    private static bool IsServableName(string name) =>
        Syntax.IsValidFileName(name) && name is not "." and not "..";

    // Once per entry while it keeps failing, not once per listing: clients list often.
    private void ReportUnlistable(string name, string? error)
    {
        if (_unlistable.Count < MaxUnlistableReported && _unlistable.TryAdd(name, 0))
        {
            ServerLog.LeftOutOfListing(_logger, name, error);
        }
    }

    private void ForgetUnlistable(string name)
    {
        if (!_unlistable.IsEmpty)
        {
            _unlistable.TryRemove(name, out _);
        }
    }

    private static IOException Failure(string? error, string name) => new($"Cannot read '{name}': {error}");

    // Logged once per disappearance, not once per request: the course suite removes the directory often.
    private void ReportMissing()
    {
        if (Interlocked.Exchange(ref _reportedMissing, 1) == 0)
        {
            ServerLog.DirectoryMissing(_logger, Root);
        }
    }

    private void ReportPresent()
    {
        // A plain read first keeps the hot path free of a write to a shared cache line.
        if (Volatile.Read(ref _reportedMissing) == 1 && Interlocked.Exchange(ref _reportedMissing, 0) == 1)
        {
            ServerLog.DirectoryBack(_logger, Root);
        }
    }
}
