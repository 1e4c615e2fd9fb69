using System.Runtime.CompilerServices;
using Hftp.Cli.Files;
using Hftp.Testing;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli.Tests;

/// <summary>How a <see cref="FaultyFileSystem"/> fails its chosen step.</summary>
public enum Fault
{
    /// <summary>The step throws (a full disk, an I/O error); later steps work, so the download's own clean-up runs.</summary>
    FailCall,

    /// <summary>The step and every one after it throw, as if the process had been killed there: nothing more reaches the disk.</summary>
    Kill,
}

/// <summary>
/// The real file system, with every step of a download counted and one of them failed on purpose: the test seam
/// of the crash-consistency tests. It can also hold a step (the final rename) until the test lets it go.
/// </summary>
internal sealed class FaultyFileSystem(int failAt = int.MaxValue, Fault fault = Fault.FailCall, string? onlyStep = null) : IDownloadFileSystem
{
    /// <summary>The step name of the rename that puts a finished <c>.part</c> into place.</summary>
    public const string FinalRename = "FinalRename";

    private readonly LocalFileSystem _real = LocalFileSystem.Instance;
    private int _steps;
    private int _matching;
    private volatile bool _dead;

    /// <summary>Steps taken (only those named <c>onlyStep</c>, when it is set).</summary>
    public int Steps => onlyStep is null ? _steps : _matching;

    /// <summary>The step that failed, once one has.</summary>
    public string? Failed { get; private set; }

    /// <summary>When set, the rename of a <c>.part</c> into place waits for it.</summary>
    public ManualResetEventSlim? HoldFinalRename { get; init; }

    /// <summary>Set when the rename of a <c>.part</c> into place has started waiting.</summary>
    public ManualResetEventSlim FinalRenameReached { get; } = new();

    public PathKind Inspect(string path) => Step(() => _real.Inspect(path));

    public SafeFileHandle? TryOpenLocked(string path, out bool created)
    {
        Step();
        return _real.TryOpenLocked(path, out created);
    }

    // Not a step: releasing the lock touches nothing on disk, and a dead process's locks go with it anyway.
    public void Unlock(SafeFileHandle file) => _real.Unlock(file);

    public long GetLength(SafeFileHandle file) => Step(() => _real.GetLength(file));

    public void SetLength(SafeFileHandle file, long length) => Step(() => _real.SetLength(file, length));

    public ValueTask WriteAsync(SafeFileHandle file, ReadOnlyMemory<byte> bytes, long offset, CancellationToken cancellationToken)
    {
        Step();
        return _real.WriteAsync(file, bytes, offset, cancellationToken);
    }

    public int Read(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        Step();
        return _real.Read(file, buffer, offset);
    }

    public void FlushToDisk(SafeFileHandle file) => Step(() => _real.FlushToDisk(file));

    public string? ReadText(string path) => Step(() => _real.ReadText(path));

    public void WriteFile(string path, ReadOnlySpan<byte> content)
    {
        Step();
        _real.WriteFile(path, content);
    }

    public void Rename(string source, string destination)
    {
        var isFinal = source.EndsWith(".part", StringComparison.Ordinal);
        Step(isFinal ? FinalRename : nameof(Rename));
        if (isFinal && HoldFinalRename is { } hold)
        {
            FinalRenameReached.Set();
            Assert.True(hold.Wait(TestTimeouts.Transfer), "the final rename was never let go");
        }

        _real.Rename(source, destination);
    }

    public void Delete(string path) => Step(() => _real.Delete(path));

    public void FlushDirectory(string directory) => Step(() => _real.FlushDirectory(directory));

    public long AvailableBytes(string directory) => Step(() => _real.AvailableBytes(directory));

    private void Step(Action action, [CallerMemberName] string name = "") => Step(() =>
    {
        action();
        return true;
    }, name);

    private T Step<T>(Func<T> action, [CallerMemberName] string name = "")
    {
        Step(name);
        return action();
    }

    private void Step([CallerMemberName] string name = "")
    {
        if (_dead)
        {
            throw new IOException($"{name}: the process is dead (simulated kill at {Failed})");
        }

        var count = Interlocked.Increment(ref _steps);
        if (onlyStep is not null)
        {
            if (name != onlyStep)
            {
                return;
            }

            count = Interlocked.Increment(ref _matching);
        }

        if (count == failAt)
        {
            Failed = $"step {count} ({name})";
            _dead = fault == Fault.Kill;
            throw new IOException($"No space left on device (simulated at {Failed})");
        }
    }
}
