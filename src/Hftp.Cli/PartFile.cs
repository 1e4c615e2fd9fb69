using System.Globalization;
using System.Security.Cryptography;
using Hftp.Cli.Files;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli;

/// <summary>
/// <c>PATH.part</c> and <c>PATH.part.state</c> together: the bytes of an unfinished download and the record of
/// which of them are valid. The rule that makes <c>--continue</c> safe: at every instant, what the state on disk
/// says is present really is in the part, whatever stops the process (a kill, a full disk, a power cut). Each step
/// below says how it keeps that rule. The part is locked from opening to its final rename, so two runs never
/// share one.
/// </summary>
internal sealed class PartFile : IDisposable
{
    private readonly object _saveLock = new();
    private readonly IDownloadFileSystem _files;

    private PartFile(IDownloadFileSystem files, string output, SafeFileHandle handle, ResumeState resumed)
    {
        _files = files;
        Output = output;
        Handle = handle;
        Resumed = resumed;
    }

    public string Output { get; }

    public string Path => Output + ".part";

    public string StatePath => StatePathOf(Path);

    public SafeFileHandle Handle { get; }

    /// <summary>What this run starts from: the matching state of an earlier run, or nothing done.</summary>
    public ResumeState Resumed { get; }

    /// <summary>What the state on disk records as present, as of the last save.</summary>
    public long Recorded { get; private set; }

    public static string StatePathOf(string partPath) => partPath + ".state";

    /// <summary>
    /// Opens and locks the part of <paramref name="output"/> for <paramref name="wanted"/>: resumed when asked to and its
    /// state matches, otherwise emptied, with a warning when there was something to discard. Refuses (leaving
    /// things as they were) when another run holds it, when a name is not a regular file, when the part came from
    /// another server or file (unless <paramref name="force"/>), or when the disk cannot hold what is still to come.
    /// </summary>
    public static PartFile Open(IDownloadFileSystem files, string output, ResumeState wanted, bool resume, bool force, Action<string> warn)
    {
        var path = output + ".part";
        var statePath = StatePathOf(path);
        RefuseUnlessRegular(files, path, statePath, statePath + ".tmp");
        var handle = files.TryOpenLocked(path, out var created)
            ?? throw new DownloadFailedException(ExitCodes.LocalError, $"{path} is in use: another hftp is saving {output} now");
        try
        {
            // Another run may have finished (and renamed its part into place) since the output was looked at.
            if (!force && files.Inspect(output) != PathKind.Missing)
            {
                throw new DownloadFailedException(ExitCodes.OutputExists, $"{output} already exists; use --force to replace it");
            }

            var resumed = resume ? Resumable(files, handle, statePath, wanted, created, force, warn) : null;
            if (!resume && !created)
            {
                warn($"{path}: left by an earlier download; starting over (--continue resumes it)");
            }

            var directory = DirectoryOf(path);
            var toWrite = wanted.Length - (resumed?.Done.Count ?? 0);
            var available = files.AvailableBytes(directory);
            if (toWrite > available)
            {
                if (created)
                {
                    files.Delete(path);
                }

                throw new DownloadFailedException(ExitCodes.LocalError, string.Create(CultureInfo.InvariantCulture,
                    $"not enough space to save {output}: {toWrite} bytes ({ByteSize.Format(toWrite)}) still to write, {available} ({ByteSize.Format(available)}) available in {directory}"));
            }

            if (resumed is not null)
            {
                return new PartFile(files, output, handle, resumed) { Recorded = resumed.Done.Count };
            }

            files.Delete(path + ".ranges"); // written by earlier versions; never trusted
            files.Delete(statePath + ".tmp"); // a save cut short; the state it would have replaced still stands

            // Starting over. The old state vouches for the part's bytes, so it goes first, durably (the directory
            // flushed), and only then may those bytes change: a stop in between leaves a part without a state,
            // which no run trusts.
            files.Delete(statePath);
            files.FlushDirectory(directory);
            files.SetLength(handle, 0);
            files.SetLength(handle, wanted.Length);
            var fresh = wanted with { Done = new ByteRanges() };
            var part = new PartFile(files, output, handle, fresh);
            part.WriteState(fresh); // claims nothing yet; it names the server and file these bytes will come from
            return part;
        }
        catch
        {
            files.Unlock(handle);
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Records what the resumed state and the writers hold, after flushing those bytes to disk; returns the bytes
    /// now recorded.
    /// </summary>
    public long Save(IReadOnlyList<RangeWriter> writers)
    {
        lock (_saveLock)
        {
            // Counted before the flush, so the state never claims a byte the flush did not cover.
            var done = DoneWith(writers);
            _files.FlushToDisk(Handle);
            WriteState(Resumed with { Done = done });
            Recorded = done.Count;
            return Recorded;
        }
    }

    /// <summary>Checks that every byte is there and records so, flushed; the part stays locked until <see cref="Commit"/>.</summary>
    public void Seal(IReadOnlyList<RangeWriter> writers)
    {
        lock (_saveLock)
        {
            var done = DoneWith(writers);
            if (done.MissingFrom(Resumed.Length).Count > 0 || _files.GetLength(Handle) != Resumed.Length)
            {
                throw new DownloadFailedException(ExitCodes.LocalError, $"{Path} is not complete; kept for --continue");
            }

            _files.FlushToDisk(Handle);
            WriteState(Resumed with { Done = done });
            Recorded = done.Count;
        }
    }

    /// <summary>The SHA-256 of the part, read back from disk.</summary>
    public byte[] ComputeSha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long position = 0; position < Resumed.Length;)
        {
            var read = _files.Read(Handle, buffer, position);
            if (read == 0)
            {
                throw new IOException($"{Path} ended at byte {position} of {Resumed.Length}");
            }

            hash.AppendData(buffer, 0, read);
            position += read;
        }

        return hash.GetHashAndReset();
    }

    /// <summary>Renames the sealed part to its output and removes the state.</summary>
    public void Commit(bool overwrite)
    {
        lock (_saveLock)
        {
            var existing = _files.Inspect(Output);
            if (existing != PathKind.Missing && (!overwrite || existing != PathKind.Regular))
            {
                throw new DownloadFailedException(ExitCodes.OutputExists, $"{Output} appeared during the download; {Path} kept (use --force to replace it)");
            }

            // Renamed while the lock is held: a second run that opened this part by its name cannot have locked it,
            // and once renamed the name leads it to a new part. Then the directory is flushed so the new name is
            // durable before the state goes; a state left by a stop here names a part that no longer exists, and
            // the next run starts over.
            _files.Rename(Path, Output);
            _files.FlushDirectory(DirectoryOf(Output));
            _files.Delete(StatePath);
            Close();
        }
    }

    /// <summary>Removes the part and its state: nothing in them is worth resuming.</summary>
    public void Delete()
    {
        lock (_saveLock)
        {
            // The state first: a part without its state is never trusted.
            _files.Delete(StatePath);
            _files.Delete(Path);
            Close();
        }
    }

    public void Dispose() => Close();

    // Unlocked first: see IDownloadFileSystem.Unlock.
    private void Close()
    {
        if (!Handle.IsClosed)
        {
            _files.Unlock(Handle);
            Handle.Dispose();
        }
    }

    private static string DirectoryOf(string path) => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;

    // Never through a link, never anything but a regular file: a planted link would make the download write where it leads.
    private static void RefuseUnlessRegular(IDownloadFileSystem files, params string[] paths)
    {
        foreach (var path in paths)
        {
            var kind = files.Inspect(path);
            if (kind is not (PathKind.Missing or PathKind.Regular))
            {
                throw new DownloadFailedException(ExitCodes.LocalError, $"{path} is {Describe(kind)}, not a regular file; remove it or save elsewhere");
            }
        }
    }

    public static string Describe(PathKind kind) => kind switch
    {
        PathKind.SymbolicLink => "a symbolic link",
        PathKind.Directory => "a directory",
        PathKind.CharacterDevice => "a device",
        PathKind.Fifo => "a FIFO",
        _ => "a special file",
    };

    // The earlier run's state, when it is this download's; null when it must start over.
    private static ResumeState? Resumable(
        IDownloadFileSystem files, SafeFileHandle handle, string statePath, ResumeState wanted, bool created, bool force, Action<string> warn)
    {
        if (created)
        {
            return null; // nothing to resume; a state left beside no part is replaced
        }

        var path = statePath[..^".state".Length];
        var state = ResumeState.Parse(files.ReadText(statePath), out var problem);
        if (state?.SourceMismatch(wanted) is { } source)
        {
            if (!force)
            {
                throw new DownloadFailedException(ExitCodes.LocalError, $"{path}: {source}; not resumed (--force starts it over)");
            }

            warn($"{path}: {source}; starting over (--force)");
            return null;
        }

        var reason = state is null ? problem
            : state.ContentMismatch(wanted)
            ?? (files.GetLength(handle) != wanted.Length ? "its length does not match its resume state" : null);
        if (reason is null)
        {
            return state;
        }

        warn($"{path}: {reason}; starting over");
        return null;
    }

    private ByteRanges DoneWith(IReadOnlyList<RangeWriter> writers)
    {
        var done = Resumed.Done.Clone();
        foreach (var writer in writers)
        {
            done.Add(writer.Start, writer.Start + writer.Written);
        }

        return done;
    }

    // Written whole to a temporary file and flushed, then renamed over the old state: a reader sees the old state
    // or the new one, never a mix, and the new one only claims bytes already flushed.
    private void WriteState(ResumeState state)
    {
        _files.WriteFile(StatePath + ".tmp", state.Format());
        _files.Rename(StatePath + ".tmp", StatePath);
    }
}
