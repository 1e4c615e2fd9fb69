using System.Diagnostics;
using System.Globalization;
using Hftp.Client;

namespace Hftp.Cli;

/// <summary>
/// Counts the bytes a download writes, over one or more connections. Bytes resumed from an earlier run count
/// toward how far it is, never toward the rate. On a terminal it redraws a bar (bytes, rate, ETA) at most ten
/// times a second; otherwise it stays quiet until the one summary line, which names <c>name</c>: the path saved.
/// </summary>
internal sealed class TransferProgress(CliConsole console, string name, long total, long resumed, bool showBar)
{
    private static readonly long RedrawInterval = Stopwatch.Frequency / 10;

    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly object _drawLock = new();
    private long _moved;
    private long _lastDrawn;
    private long _lastProgress = Stopwatch.GetTimestamp();
    private long _movedAtLastProgress;

    /// <summary>Bytes written in this run.</summary>
    public long Moved => Interlocked.Read(ref _moved);

    /// <summary>Bytes of the download on disk: resumed plus moved.</summary>
    public long Done => resumed + Moved;

    /// <summary>
    /// When the download last made progress (a <see cref="Stopwatch"/> timestamp): when it started, or when it had
    /// written <see cref="HftpClientOptions.ProgressBytes"/> more bytes, so a trickle is not progress.
    /// </summary>
    public long LastProgress => Interlocked.Read(ref _lastProgress);

    public void Add(long count)
    {
        var moved = Interlocked.Add(ref _moved, count);
        var now = Stopwatch.GetTimestamp();
        if (moved - Interlocked.Read(ref _movedAtLastProgress) >= HftpClientOptions.ProgressBytes)
        {
            Interlocked.Exchange(ref _movedAtLastProgress, moved);
            Interlocked.Exchange(ref _lastProgress, now);
        }

        if (!showBar || now - Interlocked.Read(ref _lastDrawn) < RedrawInterval)
        {
            return;
        }

        lock (_drawLock)
        {
            _lastDrawn = now;
            Draw();
        }
    }

    /// <summary>The one summary line: what was saved where, or how much is recorded as kept (<paramref name="recorded"/>).</summary>
    public void Finish(bool completed, long recorded, string resumeHint)
    {
        var seconds = Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1e-6);
        var rate = ByteSize.Format(Moved / seconds);
        lock (_drawLock)
        {
            if (showBar)
            {
                console.Error.Write("\r\u001b[K");
            }

            console.Error.WriteLine(
                !completed ? string.Create(CultureInfo.InvariantCulture, $"{name}: stopped with {recorded} of {total} bytes; {resumeHint}")
                : resumed == 0 ? string.Create(CultureInfo.InvariantCulture, $"{name}: saved {total} bytes in {seconds:0.00} s ({rate}/s)")
                : string.Create(CultureInfo.InvariantCulture, $"{name}: saved {total} bytes, {Moved} in this run, in {seconds:0.00} s ({rate}/s)"));
        }
    }

    private void Draw()
    {
        var seconds = Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1e-6);
        var rate = Moved / seconds;
        var done = Done;
        var fraction = total == 0 ? 1 : (double)done / total;
        const int width = 24;
        var filled = (int)(fraction * width);
        var eta = rate > 0 ? TimeSpan.FromSeconds((total - done) / rate) : TimeSpan.Zero;
        console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r\u001b[K{name} [{new string('=', filled)}{new string(' ', width - filled)}] {ByteSize.Format(done)} / {ByteSize.Format(total)}  {ByteSize.Format(rate)}/s  ETA {eta:hh\\:mm\\:ss}"));
    }
}
