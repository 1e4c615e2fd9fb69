using Hftp.Server.Files;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>A wrong --dir is explained at start-up: the absolute path looked for, where from, and how to pass the right one.</summary>
public sealed class MissingDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hftp-dir-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ARelativeDirThatDoesNotExistIsNamedWithItsAbsolutePathAndWorkingDirectory()
    {
        var name = "no-such-dir-" + Guid.NewGuid().ToString("N");
        var workingDirectory = Environment.CurrentDirectory;

        using var server = TestServer.Start(options => options with { Directory = name });

        var expected = $"Served directory {Path.Combine(workingDirectory, name)} does not exist (from --dir {name}, relative to {workingDirectory}); "
            + "serving nothing until it does. Create it, or pass --dir with the path of your files";
        Assert.True(server.Log.ContainsText(LogEventLevel.Warning, expected), string.Join('\n', server.Log.Events.Select(CapturedLog.Text)));
    }

    [Fact]
    public void ADirectoryOfThatNameFurtherUpIsSuggested()
    {
        Directory.CreateDirectory(Path.Combine(_root, "testdata"));
        var project = Directory.CreateDirectory(Path.Combine(_root, "src", "Hftp.Server")).FullName;

        Assert.Equal(
            "Pass --dir with the path of your files, e.g. --dir ../../testdata",
            MissingDirectoryHint.Advice("testdata", project));
        Assert.Equal($" (from --dir testdata, relative to {project})", MissingDirectoryHint.Origin("testdata", project));
    }

    [Fact]
    public void AnAbsoluteDirIsNotExplainedAsRelative()
    {
        var missing = Path.Combine(_root, "gone");

        Assert.Equal(string.Empty, MissingDirectoryHint.Origin(missing, _root));
        Assert.StartsWith("Create it, or pass --dir", MissingDirectoryHint.Advice(missing, _root), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADirThatIsAFileIsAOneLineErrorAndExitCodeOne()
    {
        var file = Path.Combine(_root, "notes.txt");
        File.WriteAllText(file, "not a directory");
        using var error = new StringWriter();

        // Bounded: a server that took the file for a missing directory would run until stopped.
        var exitCode = await ServerCommand.InvokeAsync(["--port", "0", "--address", "127.0.0.1", "--dir", file], error).WaitAsync(TestTimeouts.Process);

        Assert.Equal(ServerCommand.UsageError, exitCode);
        var lines = error.ToString().TrimEnd().Split('\n');
        Assert.Equal($"hftp-server: --dir {file} is a file, not a directory: pass the directory that holds the files to serve.", lines[0]);
    }
}
