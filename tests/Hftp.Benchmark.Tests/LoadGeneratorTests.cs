using System.Globalization;
using Hftp.Testing;

namespace Hftp.Benchmark.Tests;

public sealed class LoadGeneratorTests
{
    [Fact]
    public void BulkVerifiesEveryByteAndCountsReplies()
    {
        using var server = TestServer.Start();
        var content = new byte[300_001];
        new Random(7).NextBytes(content);
        var path = server.WriteFile("bulk.bin", content);

        var (exitCode, result) = Run("bulk", "--port", Port(server), "-f", "bulk.bin", "-c", "2", "-d", "1", "--verify", path);

        Assert.Equal(0, exitCode);
        Assert.Equal("0", result["errors"]);
        Assert.True(long.Parse(result["replies"], CultureInfo.InvariantCulture) > 0);
        Assert.True(double.Parse(result["mbps"], CultureInfo.InvariantCulture) > 0);
        Assert.True(result.ContainsKey("generator_cpu_s"));
    }

    [Fact]
    public void BulkReportsBytesThatDifferFromTheLocalCopy()
    {
        using var server = TestServer.Start();
        server.WriteFile("served.bin", new byte[1000]);
        var local = Path.Combine(server.Directory, "..", $"local-{Guid.NewGuid():N}.bin");
        var different = new byte[1000];
        different[500] = 1;
        File.WriteAllBytes(local, different);
        try
        {
            var (exitCode, result) = Run("bulk", "--port", Port(server), "-f", "served.bin", "-d", "1", "--verify", local);

            Assert.Equal(1, exitCode);
            Assert.Equal("1", result["errors"]);
        }
        finally
        {
            File.Delete(local);
        }
    }

    [Fact]
    public void SmallPipelinesAndMeasuresLatency()
    {
        using var server = TestServer.Start();
        server.WriteFile("meta.txt", "12345");

        var (exitCode, result) = Run("small", "--port", Port(server), "-f", "meta.txt", "-c", "3", "-P", "8", "-d", "1");

        Assert.Equal(0, exitCode);
        Assert.Equal("0", result["errors"]);
        Assert.Equal("3", result["connected"]);

        // What the generator says it did is what the server saw: every request it counted was answered (those still in
        // flight when it stopped, at most 3 x 8, were answered and not counted).
        var requests = long.Parse(result["requests"], CultureInfo.InvariantCulture);
        var answered = server.Log.Events.Count(e => CapturedLog.Text(e).Contains("get_metadata meta.txt -> 0 OK", StringComparison.Ordinal));
        Assert.True(requests > 100, $"{requests} requests");
        Assert.InRange(answered, requests, requests + (3 * 8));

        // Latencies are ordered, the mean lies within them, and with 8 in flight on each of 3 connections a request
        // waits behind the others: Little's law, in-flight = throughput x mean latency, within a factor of 2.
        var p50 = double.Parse(result["p50_ms"], CultureInfo.InvariantCulture);
        var p99 = double.Parse(result["p99_ms"], CultureInfo.InvariantCulture);
        var mean = double.Parse(result["mean_ms"], CultureInfo.InvariantCulture);
        var rps = double.Parse(result["rps"], CultureInfo.InvariantCulture);
        Assert.InRange(p50, 0, p99);
        Assert.InRange(mean, 0, p99 * 2);
        Assert.InRange(rps * mean / 1000, 24 / 2.0, 24 * 2.0);
    }

    [Fact]
    public void IdleHoldsConnectionsAndServesThemAllAtTheEnd()
    {
        using var server = TestServer.Start();
        server.WriteFile("meta.txt", "12345");

        var (exitCode, result) = Run("idle", "--port", Port(server), "-f", "meta.txt", "-c", "40", "-d", "1");

        Assert.Equal(0, exitCode);
        Assert.Equal("40", result["held"]);
        Assert.Equal("40", result["served"]);
    }

    [Fact]
    public void HistogramPercentilesFollowTheRecordedValues()
    {
        var histogram = new LatencyHistogram();
        for (var microseconds = 1; microseconds <= 1000; microseconds++)
        {
            histogram.Record(microseconds);
        }

        histogram.Record(50_000);

        Assert.Equal(1001, histogram.Count);
        Assert.Equal(501, histogram.Percentile(0.5));
        Assert.Equal(1000, histogram.Percentile(0.999));
        Assert.InRange(histogram.Percentile(1.0), 50_000, 50_100);
    }

    private static string Port(TestServer server) => server.Port.ToString(CultureInfo.InvariantCulture);

    private static (int ExitCode, Dictionary<string, string> Result) Run(params string[] args)
    {
        var run = BenchmarkRun.Of(args);
        return (run.ExitCode, run.Result);
    }
}
