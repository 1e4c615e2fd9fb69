using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Hftp.Protocol;
using Serilog;

namespace Hftp.Server.Files;

/// <summary>
/// With its back end (<see cref="IServedFileSystem"/>), the only code that touches the file system. It decides
/// what a served file is: a regular file directly inside the served directory, or a symlink that resolves to a
/// regular file inside it. Directories, FIFOs, sockets and devices are never listed nor opened, and no open can
/// block. It never writes.
/// </summary>
internal sealed class FileStore
{
    // Entries whose failure was already logged, bounded so that a huge broken directory cannot grow it for ever.
    private const int MaxUnlistableReported = 1024;

    private readonly ILogger _logger;
    private readonly IServedFileSystem _backEnd;
    private readonly ConcurrentDictionary<string, int> _unlistable = new(StringComparer.Ordinal);
    private int _reportedMissing;

    public FileStore(string directory, FileBackEnd backEnd, ILogger logger)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        _logger = logger;
        _backEnd = FileBackEnds.Create(Root, backEnd, out var ignoredSetting);
        if (ignoredSetting is not null)
        {
            ServerLog.IgnoredBackEndSetting(_logger, FileBackEnds.EnvironmentVariable, ignoredSetting);
        }

        ServerLog.BackEndChosen(_logger, _backEnd.Kind);
    }

    /// <summary>The served directory, as an absolute path.</summary>
    public string Root { get; }

    /// <summary>The back end in use, after <see cref="FileBackEnd.Automatic"/> was resolved.</summary>
    public FileBackEnd BackEnd => _backEnd.Kind;

    public bool Exists => Directory.Exists(Root);

    /// <summary>
    /// Fills <paramref name="listing"/> with every served file with a valid FILENAME, in ordinal order; empty while the
    /// directory is missing. The caller releases the listing once written.
    /// </summary>
    public void ListFiles(FileListing listing)
    {
        if (!_backEnd.TryEnumerate(listing))
        {
            ReportMissing();
            return;
        }

        ReportPresent();
        var served = ArrayPool<bool>.Shared.Rent(listing.Count);
        try
        {
            for (var index = 0; index < listing.Count; index++)
            {
                var name = listing[index];
                var verdict = Examine(name, out var error);
                served[index] = verdict == Verdict.Served;
                if (verdict == Verdict.Served && !_unlistable.IsEmpty)
                {
                    ForgetUnlistable(Encoding.UTF8.GetString(name));
                }
                else if (verdict == Verdict.Failed)
                {
                    // One entry that cannot be examined (ESTALE, ENOTCONN, EACCES on the directory) leaves the rest listed.
                    ReportUnlistable(Encoding.UTF8.GetString(name), error);
                }
            }

            listing.KeepOnly(served.AsSpan(0, listing.Count));
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(served);
        }

        listing.Sort();
    }

    /// <summary>The size of the served file a request names (ASCII, as checked by the reader); false when none is served.</summary>
    public bool TryGetSize(ReadOnlySpan<byte> name, out long size) => TryGetSize(Encoding.ASCII.GetString(name), out size);

    /// <summary>Opens the served file a request names; the name becomes a path here, once.</summary>
    public bool TryOpen(ReadOnlySpan<byte> name, ServedFile file) => TryOpen(Encoding.ASCII.GetString(name), file);

    /// <summary>The size of a served file, without opening it. False when no such file is served.</summary>
    public bool TryGetSize(string name, out long size) => Examine(name, out size, out var error) switch
    {
        Verdict.Served => true,
        Verdict.NotServed => false,
        _ => throw Failure(error, name),
    };

    // The one decision of what is served, entry by entry (the back end's), with the reporting around it.
    private Verdict Examine(string name, out long size, out string? error)
    {
        size = 0;
        error = null;
        if (!IsServableName(name))
        {
            return Verdict.NotServed;
        }

        var examination = _backEnd.Examine(name);
        size = examination.Size;
        error = examination.Error;
        return Judge(examination);
    }

    // The listing's examination: the name as the directory holds it, no string made for it.
    private Verdict Examine(ReadOnlySpan<byte> name, out string? error)
    {
        error = null;
        if (!IsServableName(name))
        {
            return Verdict.NotServed;
        }

        var examination = _backEnd.Examine(name);
        error = examination.Error;
        return Judge(examination);
    }

    private Verdict Judge(FileExamination examination)
    {
        switch (examination.Verdict)
        {
            case FileVerdict.Failed:
                return Verdict.Failed;
            case FileVerdict.Absent:
                if (!Exists)
                {
                    ReportMissing();
                }

                return Verdict.NotServed;
            default:
                ReportPresent();
                return examination.Verdict == FileVerdict.Served ? Verdict.Served : Verdict.NotServed;
        }
    }

    /// <summary>Opens a served file for reading into <paramref name="file"/>; false when no such file is served.</summary>
    public bool TryOpen(string name, ServedFile file) =>
        // Checking the type first means a device or FIFO is never even opened.
        TryGetSize(name, out _) && _backEnd.TryOpen(name, file);

    private static bool IsServableName(string name) =>
        Syntax.IsValidFileName(name) && name is not "." and not "..";

    private static bool IsServableName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty || name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
        {
            return false;
        }

        foreach (var value in name)
        {
            if (!Syntax.IsFileNameByte(value))
            {
                return false;
            }
        }

        return true;
    }

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

    private enum Verdict
    {
        Served,
        NotServed,
        Failed,
    }
}
