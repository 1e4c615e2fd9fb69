using System.Diagnostics;
using System.Globalization;

namespace Hftp.Benchmark;

/// <summary>
/// Samples a server process's RSS and thread count every 100 ms and keeps the peaks; reads its CPU time through
/// <see cref="Process.TotalProcessorTime"/>.
/// </summary>
/// <remarks>
/// RSS and threads come from <c>/proc/PID/status</c>, not from <see cref="Process"/>: on Linux its
/// <see cref="Process.WorkingSet64"/>, <see cref="Process.Threads"/> and <see cref="Process.HandleCount"/> read the
/// stat file of every thread, about 100 ms per call for a server holding 3,000 connections (one read of
/// <c>/proc/PID/status</c>: well under 1 ms), which at 10,000 connections would take a core from the load being measured.
/// </remarks>
internal sealed class ServerSampler : IDisposable
{
    private readonly Process _process;
    private readonly int _pid;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();
    private TimeSpan _lastCpu;

    public ServerSampler(int pid)
    {
        _pid = pid;
        _process = Process.GetProcessById(pid);
        (StartRssKilobytes, _) = ReadStatus(pid);
        StartCpuSeconds = ReadCpu().TotalSeconds;
        _thread = new Thread(Sample) { IsBackground = true, Name = "server-sampler" };
        _thread.Start();
    }

    public long StartRssKilobytes { get; }

    public double StartCpuSeconds { get; }

    public long PeakRssKilobytes { get; private set; }

    public int PeakThreads { get; private set; }

    public long CurrentRssKilobytes => ReadStatus(_pid).RssKilobytes;

    /// <summary>Server CPU seconds (user + system) since sampling began.</summary>
    public double CpuSecondsSinceStart => ReadCpu().TotalSeconds - StartCpuSeconds;

    /// <summary>
    /// The RSS (<c>VmRSS</c>) and thread count (<c>Threads</c>) in <c>/proc/PID/status</c>; zeros once the process
    /// has exited.
    /// </summary>
    public static (long RssKilobytes, int Threads) ReadStatus(int pid)
    {
        long rss = 0;
        var threads = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The server exited: nothing to read.
        }

        return (rss, threads);
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
        _process.Dispose();
    }

    private void Sample()
    {
        do
        {
            var (rss, threads) = ReadStatus(_pid);
            PeakRssKilobytes = Math.Max(PeakRssKilobytes, rss);
            PeakThreads = Math.Max(PeakThreads, threads);
        }
        while (!_stop.Wait(100));
    }

    // User plus system time, from /proc/PID/stat in the kernel's clock ticks: Process knows their length.
    private TimeSpan ReadCpu()
    {
        try
        {
            _process.Refresh();
            _lastCpu = _process.TotalProcessorTime;
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // The server exited (its /proc entry is gone): its last reading stands.
        }

        return _lastCpu;
    }
}
