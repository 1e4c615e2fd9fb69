namespace Hftp.Benchmark.Tests;

/// <summary>
/// Without a local copy, <c>bulk</c> lets the kernel drop the base64 it does not check (MSG_TRUNC); it must
/// still count every reply and notice one that does not end where its length says.
/// </summary>
public sealed class BulkDiscardTests
{
    [Fact]
    public void BulkWithoutALocalCopyCountsEveryReply()
    {
        using var target = LoadTarget.Serving("bulk.bin", new byte[300_001]);

        var run = target.RunBenchmark("bulk", "-d", "1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("0", run.Result["errors"]);
        Assert.True(run.Count("replies") > 0, run.Output);
        Assert.True(run.Number("mbps") > 0, run.Output);
    }

    [Fact]
    public void BulkWithoutALocalCopyNoticesAReplyThatDoesNotEndWhereItsLengthSays()
    {
        // The size request's reply holds two '\r', each slice reply two (status, end): the 4th is the first slice's end.
        var returns = 0;
        using var target = LoadTarget.Serving("bulk.bin", new byte[300_001])
            .Tampered(alterReplyByte: value => value == (byte)'\r' && Interlocked.Increment(ref returns) == 4 ? (byte)'X' : value);

        var run = target.RunBenchmark("bulk", "-d", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("1", run.Result["errors"]);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Contains("does not end with", run.Output, StringComparison.Ordinal);
    }

    [GccFact]
    public void IndependentBulkWithDiscardNoticesAReplyThatDoesNotEndWhereItsLengthSays()
    {
        // hftp-load asks for no size first: the 2nd '\r' is the first slice's end.
        var returns = 0;
        using var target = LoadTarget.Serving("bulk.bin", new byte[300_001])
            .Tampered(alterReplyByte: value => value == (byte)'\r' && Interlocked.Increment(ref returns) == 2 ? (byte)'X' : value);

        var run = target.RunIndependentLoad("bulk", "-d", "1", "--discard");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Equal("1", run.Result["wrong"]);
    }

    [GccFact]
    public void IndependentBulkWithDiscardCountsEveryReply()
    {
        using var target = LoadTarget.Serving("bulk.bin", new byte[300_001]);

        var run = target.RunIndependentLoad("bulk", "-d", "1", "--discard");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("0", run.Result["wrong"]);
        Assert.True(run.Count("replies") > 0, run.Output);
    }
}
