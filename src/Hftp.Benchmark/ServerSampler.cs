using System.Globalization;

namespace Hftp.Benchmark;

/// <summary>Samples a server process's RSS, thread count and CPU time from /proc every 100 ms; keeps the peaks.</summary>
internal sealed class ServerSampler : IDisposable
{
    private readonly int _pid;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();

    public ServerSampler(int pid)
    {
        _pid = pid;
        (StartRssKilobytes, _) = Read();
        StartCpuSeconds = ReadCpuSeconds();
        _thread = new Thread(Sample) { IsBackground = true, Name = "server-sampler" };
        _thread.Start();
    }

    public long StartRssKilobytes { get; }

    public double StartCpuSeconds { get; }

    public long PeakRssKilobytes { get; private set; }

    public int PeakThreads { get; private set; }

    public long CurrentRssKilobytes => Read().RssKilobytes;

    /// <summary>Server CPU seconds (user + system) since sampling began.</summary>
    public double CpuSecondsSinceStart => ReadCpuSeconds() - StartCpuSeconds;

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }

    private void Sample()
    {
        do
        {
            var (rss, threads) = Read();
            PeakRssKilobytes = Math.Max(PeakRssKilobytes, rss);
            PeakThreads = Math.Max(PeakThreads, threads);
        }
        while (!_stop.Wait(100));
    }

    private (long RssKilobytes, int Threads) Read()
    {
        long rss = 0;
        var threads = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
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
            // The server exited: keep the peaks seen so far.
        }

        return (rss, threads);
    }

    private double ReadCpuSeconds()
    {
        try
        {
            // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name) are utime and stime in clock ticks.
            var stat = File.ReadAllText($"/proc/{_pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0; // USER_HZ is 100 on Linux
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
