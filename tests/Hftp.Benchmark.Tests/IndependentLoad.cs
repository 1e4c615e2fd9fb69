using System.Diagnostics;
using System.Globalization;

namespace Hftp.Benchmark.Tests;

/// <summary>
/// bench/hftp-load.c, the C load generator that cross-checks hftp-benchmark: compiled once with gcc into a
/// temporary directory, then run as a process whose <c>RESULT</c> line is parsed.
/// </summary>
internal sealed record IndependentLoad(int ExitCode, Dictionary<string, string> Result, string Output)
{
    private static readonly Lazy<string> Executable = new(Compile);

    public static string? FindGcc() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "gcc"))
            .FirstOrDefault(File.Exists);

    public static IndependentLoad Run(params string[] args)
    {
        var start = new ProcessStartInfo(Executable.Value) { RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("hftp-load did not start");
        try
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException("hftp-load ran for more than 60 s");
            }

            var text = output.Result + errors.Result;
            var line = text.Split('\n').SingleOrDefault(candidate => candidate.StartsWith("RESULT ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"no RESULT line (exit {process.ExitCode}): {text}");
            var result = line.Trim().Split(' ').Skip(1).Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
            return new IndependentLoad(process.ExitCode, result, text);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    public long Count(string key) => long.Parse(Result[key], CultureInfo.InvariantCulture);

    public double Number(string key) => double.Parse(Result[key], CultureInfo.InvariantCulture);

    private static string Compile()
    {
        var source = FindSource();
        var directory = Path.Combine(Path.GetTempPath(), "hftp-load-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);
        var executable = Path.Combine(directory, "hftp-load");
        var start = new ProcessStartInfo(FindGcc() ?? "gcc", ["-O2", "-Wall", "-Werror", "-o", executable, source]) { RedirectStandardError = true };
        using var gcc = Process.Start(start) ?? throw new InvalidOperationException("gcc did not start");
        var messages = gcc.StandardError.ReadToEnd();
        if (!gcc.WaitForExit(TimeSpan.FromSeconds(60)) || gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc failed on {source}: {messages}");
        }

        return executable;
    }

    private static string FindSource()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var source = Path.Combine(directory.FullName, "bench", "hftp-load.c");
            if (File.Exists(source))
            {
                return source;
            }
        }

        throw new InvalidOperationException($"No bench/hftp-load.c above {AppContext.BaseDirectory}");
    }
}
