namespace Hftp.Benchmark.Tests;

/// <summary>
/// <c>bulk --raw</c> in both load tools: each reply's header must be <c>0 OK</c> with the file's size as its
/// Content-Length, then exactly that many bytes, compared with the local copy when there is one.
/// </summary>
public sealed class BulkRawTests
{
    // Its header, "0 OK\r\nContent-Length: 300001\r\n\r\n", holds no 'q' and one '3'.
    private static readonly byte[] Content = RandomBytes(300_001, seed: 21);

    [Fact]
    public void BulkRawVerifiesEveryByteAndCountsReplies()
    {
        using var target = LoadTarget.Serving("raw.bin", Content);

        var run = target.RunBenchmark("bulk", "--raw", "-d", "1", "--verify", target.LocalPath);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("0", run.Result["errors"]);
        Assert.True(run.Count("replies") > 0, run.Output);
        Assert.True(run.Number("mbps") > 0, run.Output);
    }

    [Fact]
    public void BulkRawWithoutALocalCopyCountsEveryReply()
    {
        using var target = LoadTarget.Serving("raw.bin", Content);

        var run = target.RunBenchmark("bulk", "--raw", "-d", "1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("0", run.Result["errors"]);
        Assert.True(run.Count("replies") > 0, run.Output);
    }

    [Fact]
    public void BulkRawNoticesBytesThatDifferFromTheLocalCopy()
    {
        using var target = LoadTarget.Serving("raw.bin", Content).Tampered(alterReplyByte: value => value == (byte)'q' ? (byte)'r' : value);

        var run = target.RunBenchmark("bulk", "--raw", "-d", "1", "--verify", target.LocalPath);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Contains("bytes differ from the local copy", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void BulkRawNoticesAContentLengthOtherThanTheFileSize()
    {
        // The size request's reply "0 OK\r\n300001\r\n" holds the first '3'; the first raw header the second.
        var threes = 0;
        using var target = LoadTarget.Serving("raw.bin", new byte[300_001])
            .Tampered(alterReplyByte: value => value == (byte)'3' && Interlocked.Increment(ref threes) == 2 ? (byte)'4' : value);

        var run = target.RunBenchmark("bulk", "--raw", "-d", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Contains("Content-Length: 300001", run.Output, StringComparison.Ordinal);
    }

    [GccFact]
    public void IndependentBulkRawVerifiesEveryByte()
    {
        using var target = LoadTarget.Serving("raw.bin", Content);

        var run = target.RunIndependentLoad("bulk", "--raw", "-d", "1", "--verify");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("yes", run.Result["raw"]);
        Assert.Equal("yes", run.Result["verified"]);
        Assert.Equal("0", run.Result["wrong"]);
        Assert.True(run.Count("replies") > 0, run.Output);
    }

    [GccFact]
    public void IndependentBulkRawCountsAlteredBytesAndFails()
    {
        using var target = LoadTarget.Serving("raw.bin", Content).Tampered(alterReplyByte: value => value == (byte)'q' ? (byte)'r' : value);

        var run = target.RunIndependentLoad("bulk", "--raw", "-d", "1", "--verify");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Equal("1", run.Result["wrong"]);
    }

    [GccFact]
    public void IndependentBulkRawWithDiscardNoticesAContentLengthOtherThanTheFileSize()
    {
        // hftp-load asks for no size first: the first '3' is the first raw header's.
        var threes = 0;
        using var target = LoadTarget.Serving("raw.bin", new byte[300_001])
            .Tampered(alterReplyByte: value => value == (byte)'3' && Interlocked.Increment(ref threes) == 1 ? (byte)'4' : value);

        var run = target.RunIndependentLoad("bulk", "--raw", "-d", "1", "--discard");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("0", run.Result["replies"]);
        Assert.Equal("1", run.Result["wrong"]);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
