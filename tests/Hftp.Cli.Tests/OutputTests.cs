using Hftp.Cli;
using Serilog.Events;

namespace Hftp.Cli.Tests;

/// <summary>Where <c>get</c> saves, and when it refuses: like curl and wget, never a silent overwrite.</summary>
public sealed class OutputTests : DownloadFixture
{
    public OutputTests()
    {
        Server.WriteFile("ten", "0123456789");
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public async Task OffsetAtOrPastTheEndIsTheServers203AndTouchesNothing(string offset)
    {
        File.WriteAllText(Saved("ten"), "keep me");

        var run = await GetAsync("get", "ten", "--offset", offset, "--force", "-o", Saved("ten"));

        Assert.Equal(ExitCodes.ServerError, run.ExitCode);
        Assert.Equal("hftp: ten: OFFSET EXCEEDS FILE SIZE (203)\n", run.Error.ReplaceLineEndings("\n"));
        Assert.Equal("keep me", File.ReadAllText(Saved("ten")));
        Assert.Single(Directory.GetFiles(Downloads));
        Assert.True(Server.Log.ContainsText(LogEventLevel.Debug, $"get_slice ten {offset} "), "the server was not asked");
    }

    [Fact]
    public async Task ExistingOutputIsRefusedWithoutForce()
    {
        File.WriteAllText(Saved("ten"), "keep me");

        var run = await GetAsync("get", "ten", "-o", Saved("ten"));

        Assert.Equal(ExitCodes.OutputExists, run.ExitCode);
        Assert.Contains("already exists", run.Error, StringComparison.Ordinal);
        Assert.Contains("--force", run.Error, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(Saved("ten")));
        Assert.Single(Directory.GetFiles(Downloads));
    }

    [Fact]
    public async Task ForceReplacesAnExistingOutput()
    {
        File.WriteAllText(Saved("ten"), "old content, longer than ten bytes");

        var run = await GetAsync("get", "ten", "--force", "-o", Saved("ten"));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("0123456789", File.ReadAllText(Saved("ten")));
    }

    [Fact]
    public async Task OutputDirectorySavesTheFileInsideIt()
    {
        var directory = Directory.CreateDirectory(Saved("into")).FullName;

        var run = await GetAsync("get", "ten", "-o", directory);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("0123456789", File.ReadAllText(Path.Combine(directory, "ten")));
        Assert.Empty(Directory.GetFiles(Downloads));
        Assert.Contains("saved 10 bytes", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing/ten")]
    [InlineData("missing/")]
    public async Task MissingOutputDirectoryIsNamedBeforeAnythingIsFetched(string output)
    {
        var path = Saved(output);

        var run = await GetAsync("get", "ten", "-o", path);

        Assert.Equal(ExitCodes.LocalError, run.ExitCode);
        Assert.Equal($"hftp: cannot save {Saved("missing/ten")}: the directory {Saved("missing")} does not exist\n", run.Error.ReplaceLineEndings("\n"));
        Assert.False(Directory.Exists(Saved("missing")));
        Assert.False(Server.Log.ContainsText(LogEventLevel.Debug, "get_metadata ten"), "the server was asked");
    }

    [Fact]
    public async Task ZeroLengthAtTheEndIsAnEmptyFile()
    {
        var run = await GetAsync("get", "ten", "--offset", "10", "--length", "0", "-o", Saved("empty"));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Empty(File.ReadAllBytes(Saved("empty")));
    }
}
