using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Hftp.Protocol;

namespace Hftp.Benchmark;

/// <summary>
/// <c>startup</c>: starts the server command given after <c>--</c>, times process start to its first reply
/// (<c>0 OK</c> to <c>get_file_listing</c>), stops it by its PID, and repeats; reports the median.
/// </summary>
internal sealed class StartupProbe(LoadSettings settings, int rounds, string[] command, TextWriter output)
{
    public int Run()
    {
        var report = new LoadReport("startup", output);
        var times = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            times.Add(TimeOneStart());
        }

        times.Sort();
        var median = times[times.Count / 2];
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"startup: {string.Join(' ', command)}: median {median:0.0} ms to first reply (of {rounds}: {string.Join(", ", times.Select(t => t.ToString("0.0", CultureInfo.InvariantCulture)))})"));
        report.Add("median_ms", median, "0.0");
        report.Finish();
        return 0;
    }

    private double TimeOneStart()
    {
        var info = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("the server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var giveUp = started + (10 * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < giveUp && !process.HasExited)
            {
                try
                {
                    using var socket = Wire.Connect(settings.Host, settings.Port);
                    if (Wire.AskOneLine(socket, Requests.GetFileListing) == StatusCode.Ok.Describe())
                    {
                        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    }
                }
                catch (SocketException)
                {
                    Thread.Sleep(1); // not listening yet
                }
            }

            throw new InvalidOperationException("the server never answered within 10 s");
        }
        finally
        {
            process.Kill();
            process.WaitForExit(10_000);
        }
    }
}
