using System.Globalization;

namespace Hftp.Benchmark.Tests;

/// <summary>bench/hftp-load.c against a real server: it measures, and it notices a wrong reply.</summary>
public sealed class IndependentLoadTests
{
    // 12345 bytes: the get_metadata reply "0 OK\r\n12345\r\n" holds a '3' that the proxy below alters.
    private static readonly byte[] Metadata = new byte[12_345];

    private static readonly byte[] Bulk = RandomBytes(300_001, seed: 5);

    [GccFact]
    public void SmallChecksEveryReplyAndMeasuresLatency()
    {
        using var target = LoadTarget.Serving("meta.bin", Metadata);

        var run = target.RunIndependentLoad("small", "-c", "4", "-d", "1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("0", run.Result["wrong"]);
        Assert.Equal("0", run.Result["errors"]);
        Assert.True(run.Count("requests") > 0, run.Output);
        Assert.True(run.Number("rps") > 0, run.Output);
        Assert.InRange(run.Number("p50_ms"), 0, run.Number("p99_ms"));
        Assert.InRange(run.Number("p99_ms"), 0, run.Number("max_ms"));

        // Each of the 4 connections' first replies apart; the later ones have a mean between their extremes.
        Assert.Contains("each connection's first reply (4)", run.Output);
        Assert.InRange(run.Number("first_p99_ms"), 0, run.Number("first_max_ms"));
        Assert.InRange(run.Number("later_mean_ms"), 0, run.Number("later_max_ms"));
        Assert.InRange(run.Number("later_p99_ms"), 0, run.Number("later_max_ms"));
    }

    [GccFact]
    public void OpenServesEveryHeldConnectionAndProbesMeanwhile()
    {
        using var target = LoadTarget.Serving("meta.bin", Metadata);

        var run = target.RunIndependentLoad("open", "-n", "300", "--window", "50", "--hold-seconds", "1", "--probe-ms", "50");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("300", run.Result["served"]);
        Assert.Equal("0", run.Result["failed"]);
        Assert.Equal("300", run.Result["still_open"]);
        Assert.True(run.Number("conn_per_s") > 0, run.Output);
        Assert.True(run.Count("probe_requests") > 0, run.Output);
        Assert.Equal("0", run.Result["probe_failures"]);
    }

    [GccFact]
    public void OpenWithChurnClosesEachConnectionAfterItsReply()
    {
        using var target = LoadTarget.Serving("meta.bin", Metadata);

        var run = target.RunIndependentLoad("open", "-n", "300", "--window", "50", "--churn");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("yes", run.Result["churn"]);
        Assert.Equal("300", run.Result["served"]);
        Assert.True(run.Number("conn_per_s") > 0, run.Output);
    }

    [GccFact]
    public void BulkVerifiesEveryDecodedByte()
    {
        using var target = LoadTarget.Serving("bulk.bin", Bulk);

        var run = target.RunIndependentLoad("bulk", "-d", "1", "--verify");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("yes", run.Result["verified"]);
        Assert.Equal("0", run.Result["wrong"]);
        Assert.True(run.Count("replies") > 0, run.Output);
        Assert.True(run.Number("mbps") > 0, run.Output);
    }

    [GccFact]
    public void SmallCountsAlteredRepliesAndFails()
    {
        using var target = LoadTarget.Serving("meta.bin", Metadata).Tampered(alterReplyByte: ThreeBecomesFour);

        var run = target.RunIndependentLoad("small", "-c", "4", "-d", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["requests"]);
        Assert.Equal("4", run.Result["wrong"]);
        Assert.Contains("wrong reply: \"0 OK\\r\\n12445\\r\\n\"", run.Output, StringComparison.Ordinal);
    }

    [GccFact]
    public void OpenCountsAlteredRepliesAndFails()
    {
        using var target = LoadTarget.Serving("meta.bin", Metadata).Tampered(alterReplyByte: ThreeBecomesFour);

        var run = target.RunIndependentLoad("open", "-n", "20", "--window", "5");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["served"]);
        Assert.Equal("20", run.Result["wrong"]);
    }

    [GccFact]
    public void BulkCountsAlteredBase64AndFails()
    {
        // Base64 of random bytes is full of 'q'; the status line and terminator have none.
        using var target = LoadTarget.Serving("bulk.bin", Bulk).Tampered(alterReplyByte: value => value == (byte)'q' ? (byte)'r' : value);

        var run = target.RunIndependentLoad("bulk", "-d", "1", "--verify");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Equal("1", run.Result["wrong"]);
    }

    [GccFact]
    public void ProbeCountsAlteredRepliesAndFails()
    {
        using var target = LoadTarget.Serving("meta.bin", Metadata).Tampered(alterReplyByte: ThreeBecomesFour);

        var run = target.RunIndependentLoad("probe", "-d", "1", "--interval-ms", "100");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["requests"]);
        Assert.True(run.Count("wrong") > 0, run.Output);
    }

    [GccFact]
    public void HttpCountsBodiesOfTheLocalFilesLength()
    {
        var local = LocalFile(100_000);
        using var http = new FixedHttpServer(new byte[100_000], claimedLength: 100_000);

        var run = RunAndDelete(local, "http", "--port", Text(http.Port), "--local", local, "--url-path", "/page.bin", "-d", "1", "--discard");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("0", run.Result["wrong"]);
        Assert.True(run.Count("replies") > 0, run.Output);
        Assert.True(run.Number("mbps") > 0, run.Output);
    }

    [GccFact]
    public void HttpCountsAContentLengthOtherThanTheLocalFilesAsWrong()
    {
        var local = LocalFile(100_000);
        using var http = new FixedHttpServer(new byte[99_999], claimedLength: 99_999);

        var run = RunAndDelete(local, "http", "--port", Text(http.Port), "--local", local, "--url-path", "/page.bin", "-d", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("1", run.Result["wrong"]);
        Assert.Equal("0", run.Result["replies"]);
    }

    [GccFact]
    public void RedisStoresTheFilesSizeAndChecksEveryGetAgainstIt()
    {
        var local = LocalFile(12_345);
        using var redis = new FakeRedisServer();

        var run = RunAndDelete(local, "redis", "--port", Text(redis.Port), "--local", local, "-c", "4", "-d", "1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("redis", run.Result["mode"]);
        Assert.Equal("12345", redis.ValueOf("hftp-load:" + Path.GetFileName(local)));
        Assert.Equal("0", run.Result["wrong"]);
        Assert.Equal("0", run.Result["errors"]);
        Assert.True(run.Count("requests") > 0, run.Output);
        Assert.InRange(run.Number("p50_ms"), 0, run.Number("p99_ms"));
    }

    [GccFact]
    public void RedisCountsAGetReplyOtherThanTheStoredSizeAsWrong()
    {
        var local = LocalFile(12_345);
        using var redis = new FakeRedisServer(alterValue: value => value.Replace('3', '4'));

        var run = RunAndDelete(local, "redis", "--port", Text(redis.Port), "--local", local, "-c", "4", "-d", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("4", run.Result["wrong"]);
        Assert.Equal("0", run.Result["requests"]);
    }

    private static byte ThreeBecomesFour(byte value) => value == (byte)'3' ? (byte)'4' : value;

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static IndependentLoad RunAndDelete(string local, params string[] args)
    {
        try
        {
            return IndependentLoad.Run(args);
        }
        finally
        {
            File.Delete(local);
        }
    }

    private static string LocalFile(int size)
    {
        var path = Path.Combine(Path.GetTempPath(), $"hftp-load-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, new byte[size]);
        return path;
    }
}
