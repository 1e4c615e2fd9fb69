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
        var state = new ResumeState("files.example.org", 19500, "big.iso", 1000, 10, 990, done);
        var path = Path.Combine(_directory, "big.iso.part.state");

        File.WriteAllBytes(path, state.Format());
        var read = ResumeState.Read(path, out var problem);

        Assert.NotNull(read);
        Assert.Empty(problem);
        Assert.Null(read.SourceMismatch(state));
        Assert.Null(read.ContentMismatch(state));
        Assert.Equal(done.Ranges, read.Done.Ranges);
        Assert.StartsWith(ResumeState.Header + "\n", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hftp-resume 2\nhost h\nport 1\nname a\nsize 10\noffset 0\nlength 10")]
    [InlineData("hftp-resume 2\nname a\nsize 10\noffset 0\nlength 10\n")]
    [InlineData("hftp-resume 2\nhost h\nport 0\nname a\nsize 10\noffset 0\nlength 10\n")]
    [InlineData("hftp-resume 2\nhost h\nport 1\nname a\nsize 10\noffset 0\nlength 10\ndone 0 11\n")]
    [InlineData("hftp-resume 2\nhost h\nport 1\nname a\nsize 10\noffset 0\nlength 10\ndone 5 8\ndone 0 6\n")]
    [InlineData("hftp-resume 2\nhost h\nport 1\nname a\nsize 10\noffset 0\nlength 10\ndone -1 3\n")]
    [InlineData("hftp-resume 2\nhost h\nport 1\nname a\nsize ten\noffset 0\nlength 10\n")]
    [InlineData("0 10 10\n")]
    public void AStateThatIsNotExactlyRightIsNotTrusted(string content)
    {
        var path = Path.Combine(_directory, "a.part.state");
        File.WriteAllText(path, content);

        Assert.Null(ResumeState.Read(path, out var problem));
        Assert.Contains("unreadable", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AStateWrittenByVersionOneIsNotTrustedAndSaysWhy()
    {
        var path = Path.Combine(_directory, "a.part.state");
        File.WriteAllText(path, "hftp-resume 1\nname a\nsize 10\noffset 0\nlength 10\ndone 0 10\n");

        Assert.Null(ResumeState.Read(path, out var problem));
        Assert.Contains("another version", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AStateForAnotherSizeOrRangeDoesNotMatch()
    {
        var state = new ResumeState("h", 1, "a", 100, 0, 100, new ByteRanges());

        Assert.Contains("now 101", state.ContentMismatch(state with { Size = 101 }), StringComparison.Ordinal);
        Assert.NotNull(state.ContentMismatch(state with { Offset = 1, Length = 99 }));
        Assert.Null(state.SourceMismatch(state with { Size = 101 }));
    }

    [Fact]
    public void AStateFromAnotherServerOrFileIsAnotherSource()
    {
        var state = new ResumeState("h", 1, "a", 100, 0, 100, new ByteRanges());

        Assert.Contains("came from h:1, not h:2", state.SourceMismatch(state with { Port = 2 }), StringComparison.Ordinal);
        Assert.Contains("came from h:1, not g:1", state.SourceMismatch(state with { Host = "g" }), StringComparison.Ordinal);
        Assert.Contains("it holds a, not b", state.SourceMismatch(state with { Name = "b" }), StringComparison.Ordinal);
    }
}
