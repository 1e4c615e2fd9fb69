namespace Hftp.Benchmark.Tests;

public sealed class SlowlorisLoadTests
{
    [Fact]
    public void SlowlorisHoldsItsConnectionsWhileAFreshClientIsServed()
    {
        using var target = LoadTarget.Serving("meta.txt", "12345");

        var run = RunSlowloris(target);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("20", run.Result["opened"]);
        Assert.Equal("0", run.Result["shed"]);
        Assert.Equal("20", run.Result["open_at_end"]);
        Assert.Equal("0", run.Result["shed_seen_at_end"]);
        Assert.Equal("0", run.Result["probe_failures"]);
        Assert.True(run.Count("probe_requests") > 0, run.Output);
        Assert.InRange(run.Number("probe_p50_ms"), 0, run.Number("probe_p99_ms"));
        Assert.InRange(run.Number("probe_p99_ms"), 0, run.Number("probe_max_ms"));
    }

    [Fact]
    public void SlowlorisCountsTheConnectionsTheServerShedsAndWhen()
    {
        // Stands in for a request timeout: a connection is closed on its third byte without a line end,
        // which a slowloris at one byte per 200 ms sends 0.4 s after it opened.
        using var target = LoadTarget.Serving("meta.txt", "12345").Tampered(closeAfterBytesWithoutLineEnd: 3);

        var run = RunSlowloris(target);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("20", run.Result["opened"]);
        Assert.Equal("20", run.Result["shed"]);
        Assert.Equal("0", run.Result["shed_reset"]);
        Assert.Equal("0", run.Result["shed_after_reply"]);
        Assert.Equal("0", run.Result["open_at_end"]);
        Assert.InRange(run.Number("shed_min_s"), 0.3, 2);
        Assert.InRange(run.Number("shed_max_s"), run.Number("shed_min_s"), 2);
        Assert.Equal("0", run.Result["probe_failures"]);
    }

    // 20 connections, one byte each per 200 ms, for 2 s.
    private static BenchmarkRun RunSlowloris(LoadTarget target) =>
        target.RunBenchmark("slowloris", "--connections", "20", "--interval-ms", "200", "--seconds", "2");
}
