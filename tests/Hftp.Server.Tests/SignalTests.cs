using System.Net;
using System.Text.RegularExpressions;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>Signals to the real server process as an operator sends them: SIGHUP reopens the log, SIGTERM and SIGINT drain.</summary>
public sealed partial class SignalTests : IDisposable
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-signal-").FullName;
    private readonly string _logs = Directory.CreateTempSubdirectory("hftp-signal-log-").FullName;

    public SignalTests() => File.WriteAllText(Path.Combine(_directory, "f"), "hello");

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        Directory.Delete(_logs, recursive: true);
    }

    [Fact]
    public async Task SighupReopensTheLogFileMovedAwayAndSigintDrains()
    {
        var logFile = Path.Combine(_logs, "hftp.log");
        using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", _directory, "--log-file", logFile);
        var port = await WaitForPortInFileAsync(server, logFile);
        Assert.Empty(server.Output);

        // As logrotate does: move the file away, then tell the server.
        var rotated = logFile + ".1";
        File.Move(logFile, rotated);
        server.Signal("HUP");
        Assert.True(await Eventually.HoldsAsync(() => Read(logFile).Contains("SIGHUP: reopened the log file " + logFile, StringComparison.Ordinal), Bound), Read(logFile));

        await ExpectServedAsync(port);
        Assert.True(await Eventually.HoldsAsync(() => Read(logFile).Contains("Connected by", StringComparison.Ordinal), Bound), Read(logFile));
        Assert.DoesNotContain("Connected by", Read(rotated), StringComparison.Ordinal);

        server.Signal("INT");
        Assert.True(server.WaitForExit(TestTimeouts.Process), "the server did not exit after SIGINT");
        Assert.Equal(0, server.ExitCode);
        Assert.Contains("Stopped:", Read(logFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SighupWithoutALogFileIsLoggedAndServingGoesOnWithDatedLines()
    {
        using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        var port = await server.WaitForPortAsync(Bound);

        server.Signal("HUP");
        Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("SIGHUP: no log file to reopen", StringComparison.Ordinal), Bound), server.Output);
        await ExpectServedAsync(port);

        server.Terminate();
        Assert.True(server.WaitForExit(TestTimeouts.Process), "the server did not exit after SIGTERM");
        Assert.Equal(0, server.ExitCode);

        // Every line dated, to the millisecond, with its UTC offset.
        var lines = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Matches(DatedLine(), line));
    }

    [Fact]
    public void AnUnwritableLogFileIsOneLineAndExitCodeTwo()
    {
        var logFile = Path.Combine(_logs, "missing", "hftp.log");
        using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", _directory, "--log-file", logFile);

        Assert.True(server.WaitForExit(TestTimeouts.Process));
        Assert.Equal(ServerCommand.StartupFailed, server.ExitCode);
        Assert.StartsWith($"hftp-server: cannot open the log file {logFile}: ", server.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', server.Error);
    }

    internal static async Task<int> WaitForPortInFileAsync(ServerProcess server, string logFile)
    {
        Match? serving = null;
        var found = await Eventually.HoldsAsync(() => (serving = ServingLine().Match(Read(logFile))).Success || server.HasExited, Bound);
        return found && serving is { Success: true }
            ? int.Parse(serving.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"No 'Serving ... on' line in {logFile}: {Read(logFile)}; errors: {server.Error}");
    }

    internal static string Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return string.Empty;
        }
    }

    private static async Task ExpectServedAsync(int port)
    {
        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, port));
        await client.SendAsync(Requests.GetMetadata("f"));
        await client.ExpectAsync(Replies.Size(5), TestTimeouts.Reply);
    }

    [GeneratedRegex(@"Serving .* on (?:\\"")?[^""\\\n]*:(\d+)")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} [+-]\d{2}:\d{2} (VRB|DBG|INF|WRN|ERR|FTL)\] ")]
    private static partial Regex DatedLine();
}
