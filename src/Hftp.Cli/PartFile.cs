using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli;

/// <summary>
/// <c>PATH.part</c> and <c>PATH.part.state</c> together: the bytes of an unfinished download and the record of
/// which of them are valid. A part is resumed only when its state matches what the server offers now;
/// anything else starts over. Data is flushed to disk before the state that counts it is written, so an
/// interruption at any moment (even SIGKILL or a power cut) leaves a state that claims too little, never too much.
/// </summary>
internal sealed class PartFile : IDisposable
{
    private readonly object _saveLock = new();

    private PartFile(string path, SafeFileHandle handle, ResumeState resumed)
    {
        Path = path;
        Handle = handle;
        Resumed = resumed;
    }

    public string Path { get; }

    public string StatePath => StatePathOf(Path);

    public SafeFileHandle Handle { get; }

    /// <summary>What this run starts from: the matching state of an earlier run, or nothing done.</summary>
    public ResumeState Resumed { get; }

    public static string StatePathOf(string partPath) => partPath + ".state";

    /// <summary>
    /// Opens (and locks) the part for <paramref name="wanted"/>: resumed when asked to and its state matches,
    /// otherwise emptied, with a warning when there was something to discard.
    /// </summary>
    public static PartFile Open(string path, ResumeState wanted, bool resume, Action<string> warn)
    {
        var legacyRanges = path + ".ranges"; // written by earlier versions; never trusted
        var existed = File.Exists(path) || File.Exists(StatePathOf(path)) || File.Exists(legacyRanges);
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        try
        {
            File.Delete(legacyRanges);
            File.Delete(StatePathOf(path) + ".tmp"); // a save cut short; the state it would have replaced still stands
            if (resume && existed)
            {
                var state = ResumeState.Read(StatePathOf(path), out var problem);
                var reason = state is null ? problem
                    : state.Mismatch(wanted)
                    ?? (RandomAccess.GetLength(handle) != wanted.Length ? "its length does not match its resume state" : null);
                if (reason is null)
                {
                    return new PartFile(path, handle, state!);
                }

                warn($"{path}: {reason}; starting over");
            }
            else if (existed)
            {
                warn($"{path}: left by an earlier download; starting over (--continue resumes it)");
            }

            RandomAccess.SetLength(handle, 0);
            RandomAccess.SetLength(handle, wanted.Length);
            var fresh = wanted with { Done = new ByteRanges() };
            fresh.Write(StatePathOf(path));
            return new PartFile(path, handle, fresh);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Records what the resumed state and the writers hold, after flushing those bytes to disk.</summary>
    public void Save(IReadOnlyList<RangeWriter> writers)
    {
        lock (_saveLock)
        {
            var done = Resumed.Done.Clone();
            foreach (var writer in writers)
            {
                done.Add(writer.Start, writer.Start + writer.Written); // read before the flush: never ahead of it
            }

            RandomAccess.FlushToDisk(Handle);
            (Resumed with { Done = done }).Write(StatePath);
        }
    }

    /// <summary>Checks that every byte is there, flushes the file, renames it to <paramref name="output"/>, and removes the state.</summary>
    public void Complete(IReadOnlyList<RangeWriter> writers, string output, bool overwrite)
    {
        lock (_saveLock)
        {
            var done = Resumed.Done.Clone();
            foreach (var writer in writers)
            {
                done.Add(writer.Start, writer.Start + writer.Written);
            }

            if (done.MissingFrom(Resumed.Length).Count > 0 || RandomAccess.GetLength(Handle) != Resumed.Length)
            {
                throw new DownloadFailedException(ExitCodes.LocalError, $"{Path} is not complete; kept for --continue");
            }

            RandomAccess.FlushToDisk(Handle);
            Handle.Dispose();
            File.Move(Path, output, overwrite);
            File.Delete(StatePath);
            File.Delete(StatePath + ".tmp");
        }
    }

    /// <summary>Removes the part and its state: nothing in them is worth resuming.</summary>
    public void Delete()
    {
        lock (_saveLock)
        {
            Handle.Dispose();
            File.Delete(Path);
            File.Delete(StatePath);
            File.Delete(StatePath + ".tmp");
        }
    }

    public void Dispose() => Handle.Dispose();
}
