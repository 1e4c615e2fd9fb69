using System.Globalization;

namespace Hftp.Benchmark.Tests;

/// <summary>Runs one <c>hftp-benchmark</c> command line in-process and parses its <c>RESULT</c> line.</summary>
internal sealed record BenchmarkRun(int ExitCode, Dictionary<string, string> Result, string Output)
{
    public static BenchmarkRun Of(params string[] args)
    {
        using var output = new StringWriter();
        return Of(output, args);
    }

    /// <summary>Runs with the given writer, so a test can watch the output while the load runs.</summary>
    public static BenchmarkRun Of(StringWriter output, params string[] args)
    {
        var exitCode = BenchmarkCommand.Create(output).Parse(args).Invoke();
        var text = output.ToString();
        var line = text.Split('\n').Single(candidate => candidate.StartsWith("RESULT ", StringComparison.Ordinal));
        var result = line.Trim().Split(' ').Skip(1).Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
        return new BenchmarkRun(exitCode, result, text);
    }

    public long Count(string key) => long.Parse(Result[key], CultureInfo.InvariantCulture);

    public double Number(string key) => double.Parse(Result[key], CultureInfo.InvariantCulture);
}
