using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Hftp.Benchmark;

/// <summary>
/// The plain-text report: readable lines for people, then one <c>RESULT key=value ...</c> line for scripts.
/// It always includes the generator's own CPU time, so a saturated generator is visible.
/// </summary>
internal sealed class LoadReport(string mode, TextWriter output)
{
    private readonly List<(string Key, string Value)> _results = [("mode", mode)];
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long _startedAt = Stopwatch.GetTimestamp();

    public void Line(string text) => output.WriteLine(text);

    public void Add(string key, double value, string format = "0.###")
    {
        var text = value.ToString(format, CultureInfo.InvariantCulture);
        _results.Add((key, text));
    }

    public void Add(string key, string value) => _results.Add((key, value));

    public void AddServer(ServerSampler? sampler)
    {
        if (sampler is null)
        {
            return;
        }

        Line(string.Create(CultureInfo.InvariantCulture,
            $"server: peak RSS {sampler.PeakRssKilobytes / 1024.0:0.0} MB (start {sampler.StartRssKilobytes / 1024.0:0.0} MB), peak threads {sampler.PeakThreads}, CPU {sampler.CpuSecondsSinceStart:0.00} s"));
        Add("server_peak_rss_mb", sampler.PeakRssKilobytes / 1024.0, "0.0");
        Add("server_start_rss_mb", sampler.StartRssKilobytes / 1024.0, "0.0");
        Add("server_peak_threads", sampler.PeakThreads);
        Add("server_cpu_s", sampler.CpuSecondsSinceStart, "0.00");
    }

    public void Finish()
    {
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart).TotalSeconds;
        var wall = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
        Line(string.Create(CultureInfo.InvariantCulture, $"generator: CPU {cpu:0.00} s over {wall:0.00} s ({100 * cpu / wall:0}% of one core)"));
        Add("generator_cpu_s", cpu, "0.00");
        var result = new StringBuilder("RESULT");
        foreach (var (key, value) in _results)
        {
            result.Append(' ').Append(key).Append('=').Append(value);
        }

        output.WriteLine(result.ToString());
    }
}
