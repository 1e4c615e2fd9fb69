using System.Collections.Concurrent;
using Hftp.Protocol;
using Serilog;

namespace Hftp.Server.Files;

/// <summary>With <see cref="ServedDirectory"/>, the only code touching the file system; it never writes. It decides
/// what is served: a regular file directly inside the served directory, or a symlink resolving to one inside it.
/// Directories, FIFOs, sockets and devices are never listed nor opened, and no open can block.</summary>
internal sealed class FileStore
{
    // Entries whose failure was already logged, bounded so that a huge broken directory cannot grow it for ever.
    private const int MaxUnlistableReported = 1024;

    private readonly ILogger _logger;
    private readonly ServedDirectory _backEnd;
    private readonly ServedNames _served;
    private readonly ConcurrentDictionary<string, int> _unlistable = new(StringComparer.Ordinal);
    private int _reportedMissing;

    public FileStore(string directory, ILogger logger)
    {
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        _logger = logger;
        _backEnd = new ServedDirectory(Root);
        _served = new ServedNames(Root);
    }

    /// <summary>The served directory, as an absolute path.</summary>
    public string Root { get; }

    public bool Exists => Directory.Exists(Root);

    /// <summary>Each served file with a valid FILENAME, in ordinal order; none while the directory is absent.</summary>
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
            var examination = Examine(name);
            if (examination.Verdict == FileVerdict.Served)
            {
                served.Add(name);
                ForgetUnlistable(name);
            }
            else if (examination.Verdict == FileVerdict.Failed)
            {
                // One entry that cannot be examined (ESTALE, ENOTCONN, EACCES on the directory) leaves the rest listed.
                ReportUnlistable(name, examination.Error);
            }
        }

        served.Sort(StringComparer.Ordinal);
        return served;
    }

    /// <summary>The entry for a name a request gives (ASCII, checked by the reader): shared once found served.</summary>
    public AskedName Find(ReadOnlySpan<byte> name) => _served.Find(name);

    /// <summary>The size of the served file <paramref name="name"/> without opening it; false if none is served.</summary>
    public bool TryGetSize(AskedName name, out long size)
    {
        var examination = Examine(name);
        size = examination.Size;
        return IsServed(examination, name.Text);
    }

    /// <summary>Opens the served file <paramref name="name"/> into <paramref name="file"/>; false when none is served.
    /// Checking the type first means a device or FIFO is never even opened.</summary>
    public bool TryOpen(AskedName name, ServedFile file) =>
        Examine(name) is var examination && IsServed(examination, name.Text) && ServedDirectory.TryOpen(examination.Path!, name.Text, file);

    private static bool IsServed(FileExamination examination, string name) => examination.Verdict == FileVerdict.Served
        || (examination.Verdict == FileVerdict.Failed ? throw new IOException($"Cannot read '{name}': {examination.Error}") : false);

    // The one decision of what is served, entry by entry (the back end's), with the reporting around it.
    private FileExamination Examine(AskedName name)
    {
        var examination = IsServable(name.Text) ? Reported(name.ExamineIn(_backEnd)) : FileExamination.NotServed;
        _served.Update(name, examination.Verdict == FileVerdict.Served);
        return examination;
    }

    private FileExamination Examine(string name) =>
        IsServable(name) ? Reported(_backEnd.Examine(new FileInfo(Path.Join(Root, name)), name)) : FileExamination.NotServed;

    private static bool IsServable(string name) => Syntax.IsValidFileName(name) && name is not ("." or "..");

    private FileExamination Reported(FileExamination examination)
    {
        if (examination.Verdict == FileVerdict.Absent && !Exists)
        {
            ReportMissing();
        }
        else if (examination.Verdict is FileVerdict.Served or FileVerdict.NotServed)
        {
            ReportPresent();
        }

        return examination;
    }

    // Once per entry while it keeps failing, not once per listing: clients list often.
    private void ReportUnlistable(string name, string? error)
    {
        if (_unlistable.Count < MaxUnlistableReported && _unlistable.TryAdd(name, 0))
        {
            _logger.Warning("Leaving {Name} out of the listing: {Error}", name, error);
        }
    }

    private void ForgetUnlistable(string name)
    {
        if (!_unlistable.IsEmpty)
        {
            _unlistable.TryRemove(name, out _);
        }
    }

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
