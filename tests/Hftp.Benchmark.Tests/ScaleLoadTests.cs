using Hftp.Testing;

namespace Hftp.Benchmark.Tests;

/// <summary>The loads of issue 9: many connections at once, the connection-open rate, the idle maximum.</summary>
public sealed class ScaleLoadTests
{
    [Fact]
    public void SmallHasAllItsConnectionsOpenAtOnce()
    {
        using var target = LoadTarget.Serving("meta.txt", "12345");

        var run = target.RunBenchmark("small", "-c", "400", "-d", "1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(400, target.Server.PeakConnections);
        Assert.Equal("400", run.Result["connected"]);
    }

    [Fact]
    public void OpenHoldsEveryConnectionAfterItsRightReply()
    {
        using var target = LoadTarget.Serving("meta.txt", "12345");

        var run = target.RunBenchmark("open", "-c", "300", "--window", "40", "-d", "30");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("300", run.Result["served"]);
        Assert.Equal("0", run.Result["failed"]);
        Assert.Equal("no", run.Result["churn"]);
        Assert.Equal(300, target.Server.PeakConnections);
        Assert.True(run.Number("conn_per_s") > 0, run.Output);
        Assert.InRange(run.Number("p99_ms"), 0, run.Number("max_ms"));
    }

    [Fact]
    public async Task OpenWithChurnClosesEachConnectionAfterItsReply()
    {
        using var target = LoadTarget.Serving("meta.txt", "12345");

        var run = target.RunBenchmark("open", "-c", "300", "--window", "10", "--churn", "-d", "30");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("300", run.Result["served"]);
        Assert.Equal("yes", run.Result["churn"]);
        // Held, all 300 would be open at once; churned, the server sees each close soon after its reply (how soon
        // depends on scheduling, so the peak is only known to stay well under the total), and none is left open.
        Assert.InRange(target.Server.PeakConnections, 1, 150);
        Assert.True(await Eventually.HoldsAsync(() => target.Server.ActiveConnections == 0, TestTimeouts.Condition),
            $"{target.Server.ActiveConnections} connections still open after the churned load ended");
    }

    [Fact]
    public void OpenCountsWrongRepliesAndFails()
    {
        // The reply is "0 OK\r\n5\r\n". The first one, which tells the load the size, passes; every later '5' becomes '6'.
        var fives = 0;
        using var target = LoadTarget.Serving("meta.txt", "12345")
            .Tampered(alterReplyByte: value => value == (byte)'5' && Interlocked.Increment(ref fives) > 1 ? (byte)'6' : value);

        var run = target.RunBenchmark("open", "-c", "20", "--window", "4", "-d", "30");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["served"]);
        Assert.Equal("20", run.Result["wrong"]);
    }

    [Fact]
    public void IdleReportsTheFreshClientsMaximumLatency()
    {
        using var target = LoadTarget.Serving("meta.txt", "12345");

        var run = target.RunBenchmark("idle", "-c", "20", "-d", "1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.InRange(run.Number("probe_p99_ms"), 0, run.Number("probe_max_ms"));
        Assert.True(run.Number("probe_max_ms") > 0, run.Output);
    }
}
