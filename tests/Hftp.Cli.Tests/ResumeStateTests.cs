using Hftp.Cli;

namespace Hftp.Cli.Tests;

/// <summary>The resume state's pieces: the byte-range set, and the state file's format and validation.</summary>
public sealed class ResumeStateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-state-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void RangesMergeWhenTheyOverlapOrTouch()
    {
        var ranges = new ByteRanges();
        ranges.Add(10, 20);
        ranges.Add(30, 40);
        ranges.Add(20, 25);
        ranges.Add(5, 5);
        ranges.Add(24, 31);

        Assert.Equal([new ByteRange(10, 40)], ranges.Ranges);
        Assert.Equal(30, ranges.Count);
    }

    [Fact]
    public void MissingIsTheComplementWithinTheLength()
    {
        var ranges = new ByteRanges();
        ranges.Add(0, 10);
        ranges.Add(20, 30);
        ranges.Add(50, 60);

        Assert.Equal([new ByteRange(10, 20), new ByteRange(30, 50), new ByteRange(60, 70)], ranges.MissingFrom(70));
        Assert.Equal([new ByteRange(10, 20), new ByteRange(30, 40)], ranges.MissingFrom(40));
        Assert.Equal([new ByteRange(0, 5)], new ByteRanges().MissingFrom(5));
        Assert.Empty(new ByteRanges().MissingFrom(0));
    }

    [Fact]
    public void StateRoundTripsThroughItsFile()
    {
        var done = new ByteRanges();
        done.Add(0, 100);
        done.Add(200, 300);
        var state = new ResumeState("big.iso", 1000, 10, 990, done);
        var path = Path.Combine(_directory, "big.iso.part.state");

        state.Write(path);
        var read = ResumeState.Read(path, out var problem);

        Assert.NotNull(read);
        Assert.Empty(problem);
        Assert.Null(read.Mismatch(state));
        Assert.Equal(done.Ranges, read.Done.Ranges);
        Assert.False(File.Exists(path + ".tmp"));
        Assert.StartsWith(ResumeState.Header + "\n", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hftp-resume 2\nname a\nsize 10\noffset 0\nlength 10\n")]
    [InlineData("hftp-resume 1\nname a\nsize 10\noffset 0\nlength 10\ndone 0 11\n")]
    [InlineData("hftp-resume 1\nname a\nsize 10\noffset 0\nlength 10\ndone 5 8\ndone 0 6\n")]
    [InlineData("hftp-resume 1\nname a\nsize 10\noffset 0\nlength 10\ndone -1 3\n")]
    [InlineData("hftp-resume 1\nname a\nsize ten\noffset 0\nlength 10\n")]
    [InlineData("0 10 10\n")]
    public void AStateThatIsNotExactlyRightIsNotTrusted(string content)
    {
        var path = Path.Combine(_directory, "a.part.state");
        File.WriteAllText(path, content);

        Assert.Null(ResumeState.Read(path, out var problem));
        Assert.Contains("unreadable", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AStateForAnotherSizeOrRangeDoesNotMatch()
    {
        var state = new ResumeState("a", 100, 0, 100, new ByteRanges());

        Assert.Contains("now 101", state.Mismatch(state with { Size = 101 }), StringComparison.Ordinal);
        Assert.NotNull(state.Mismatch(state with { Offset = 1, Length = 99 }));
        Assert.NotNull(state.Mismatch(state with { Name = "b" }));
    }
}
