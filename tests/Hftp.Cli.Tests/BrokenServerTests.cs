using System.Globalization;
using Hftp.Cli;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary><c>hftp</c> against peers that break the protocol: exit code 3, one line naming the fault, nothing saved.</summary>
public sealed class BrokenServerTests : IDisposable
{
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-malformed-").FullName;

    public void Dispose() => Directory.Delete(_downloads, recursive: true);

    [Fact]
    public async Task GetOfMalformedBase64ExitsThreeAndSavesNothing()
    {
        await using var server = ScriptedServer.Answering(request =>
            request.StartsWith("get_metadata", StringComparison.Ordinal) ? Replies.Size(3) : Replies.Base64Slice("QU JD"));
        var target = Path.Combine(_downloads, "f");

        var run = await CliRun.InvokeAsync("get", "f", "--base64", "-o", target, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-H", "127.0.0.1");

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.Contains("not valid base64", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(target), "a slice that is not clean base64 was saved as the file");
    }

    // A server that announces other than the SIZE asked is not believed: nothing is written, the download fails.
    [Fact]
    public async Task GetOfARawSliceWithTheWrongLengthExitsThreeAndSavesNothing()
    {
        await using var server = ScriptedServer.Answering(request => request.StartsWith("get_metadata", StringComparison.Ordinal)
            ? Replies.Size(3)
            : StatusCode.Ok.StatusLineText() + "Content-Length: 4\r\n\r\nABCD");
        var target = Path.Combine(_downloads, "f");

        var run = await CliRun.InvokeAsync("get", "f", "-o", target, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-H", "127.0.0.1");

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.Contains("The raw slice reply's Content-Length is not the 3 bytes asked for", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(target), "a raw slice of the wrong length was saved as the file");
        Assert.Empty(Directory.GetFiles(_downloads));
    }

    [Fact]
    public async Task LsAgainstAnHttpServerExitsThreeSayingSo()
    {
        await using var server = ScriptedServer.Start(async connection =>
        {
            await connection.ReadRequestAsync();
            await connection.SendAsync("HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        });
        var port = server.Port.ToString(CultureInfo.InvariantCulture);

        var run = await CliRun.InvokeAsync("ls", "-H", "127.0.0.1", "-p", port);

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.Equal($"hftp: 127.0.0.1:{port} is not an HFTP server (it answered like an HTTP server)\n", run.Error.ReplaceLineEndings("\n"));
    }
}
