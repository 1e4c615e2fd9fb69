using System.Diagnostics;
using System.Globalization;

namespace Hftp.Cli;

/// <summary>
/// Counts bytes arriving over one or more connections. On a terminal it redraws a bar (bytes, rate, ETA) at
/// most ten times a second; otherwise it stays quiet until the one summary line.
/// </summary>
internal sealed class TransferProgress(CliConsole console, string name, long total, bool showBar)
{
    private static readonly long RedrawInterval = Stopwatch.Frequency / 10;

    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly object _drawLock = new();
    private long _received;
    private long _lastDrawn;

    public long Received => Interlocked.Read(ref _received);

    /// <summary>A progress sink for one connection, fed with that connection's running total.</summary>
    public IProgress<long> ForConnection(long alreadyReceived)
    {
        Interlocked.Add(ref _received, alreadyReceived);
        return new ConnectionProgress(this);
    }

    public void Finish(bool completed)
    {
        var seconds = Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1e-6);
        if (showBar)
        {
            console.Error.Write("\r\u001b[K");
        }

        console.Error.WriteLine(completed
            ? string.Create(CultureInfo.InvariantCulture,
                $"{name}: saved {Received} bytes in {seconds:0.00} s ({ByteSize.Format(Received / seconds)}/s)")
            : string.Create(CultureInfo.InvariantCulture,
                $"{name}: stopped at {Received} of {total} bytes; 'hftp get --continue' resumes"));
    }

    private void Add(long delta)
    {
        Interlocked.Add(ref _received, delta);
        var now = Stopwatch.GetTimestamp();
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

    private void Draw()
    {
        var received = Received;
        var seconds = Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 1e-6);
        var rate = received / seconds;
        var fraction = total == 0 ? 1 : (double)received / total;
        const int width = 24;
        var filled = (int)(fraction * width);
        var eta = rate > 0 ? TimeSpan.FromSeconds((total - received) / rate) : TimeSpan.Zero;
        console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r\u001b[K{name} [{new string('=', filled)}{new string(' ', width - filled)}] {ByteSize.Format(received)} / {ByteSize.Format(total)}  {ByteSize.Format(rate)}/s  ETA {eta:hh\\:mm\\:ss}"));
    }

    private sealed class ConnectionProgress(TransferProgress owner) : IProgress<long>
    {
        private long _reported;

        public void Report(long value)
        {
            owner.Add(value - _reported);
            _reported = value;
        }
    }
}
