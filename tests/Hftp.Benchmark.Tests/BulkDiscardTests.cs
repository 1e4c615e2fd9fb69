using System.Globalization;
using Hftp.Testing;

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
        using var server = TestServer.Start();
        server.WriteFile("bulk.bin", new byte[300_001]);

        var run = BenchmarkRun.Of("bulk", "--port", Text(server.Port), "-f", "bulk.bin", "-d", "1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("0", run.Result["errors"]);
        Assert.True(run.Count("replies") > 0, run.Output);
        Assert.True(run.Number("mbps") > 0, run.Output);
    }

    [Fact]
    public void BulkWithoutALocalCopyNoticesAReplyThatDoesNotEndWhereItsLengthSays()
    {
        using var server = TestServer.Start();
        server.WriteFile("bulk.bin", new byte[300_001]);
        // The size request's reply holds two '\r', each slice reply two (status, end): the 4th is the first slice's end.
        var returns = 0;
        using var proxy = new TamperingProxy(server.EndPoint, alterReplyByte: value => value == (byte)'\r' && Interlocked.Increment(ref returns) == 4 ? (byte)'X' : value);

        var run = BenchmarkRun.Of("bulk", "--port", Text(proxy.Port), "-f", "bulk.bin", "-d", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("1", run.Result["errors"]);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Contains("does not end with", run.Output, StringComparison.Ordinal);
    }

    [GccFact]
    public void IndependentBulkWithDiscardNoticesAReplyThatDoesNotEndWhereItsLengthSays()
    {
        using var server = TestServer.Start();
        var local = server.WriteFile("bulk.bin", new byte[300_001]);
        // hftp-load asks for no size first: the 2nd '\r' is the first slice's end.
        var returns = 0;
        using var proxy = new TamperingProxy(server.EndPoint, alterReplyByte: value => value == (byte)'\r' && Interlocked.Increment(ref returns) == 2 ? (byte)'X' : value);

        var run = IndependentLoad.Run("bulk", "--port", Text(proxy.Port), "--local", local, "-d", "1", "--discard");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Equal("1", run.Result["wrong"]);
    }

    [GccFact]
    public void IndependentBulkWithDiscardCountsEveryReply()
    {
        using var server = TestServer.Start();
        var local = server.WriteFile("bulk.bin", new byte[300_001]);

        var run = IndependentLoad.Run("bulk", "--port", Text(server.Port), "--local", local, "-d", "1", "--discard");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("0", run.Result["wrong"]);
        Assert.True(run.Count("replies") > 0, run.Output);
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
