using System.Globalization;
using System.Security.Cryptography;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// <c>hftp</c> against a classic (pre-2026) server: <c>get</c> falls back to base64 after the one 201 to its raw
/// request, with no error shown, on every connection of a parallel download; <c>help</c> says the server has none.
/// </summary>
public sealed class ClassicServerTests : IDisposable
{
    private static readonly byte[] Content = RandomNumberGenerator.GetBytes(2 << 20);

    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-classic-").FullName;

    private static Dictionary<string, byte[]> Files => new() { ["data.bin"] = Content };

    public void Dispose() => Directory.Delete(_downloads, recursive: true);

    [Theory]
    [InlineData("1")]
    [InlineData("4")]
    public async Task GetFallsBackToBase64WithoutAnErrorAskingRawOnce(string connections)
    {
        await using var server = InMemoryHftpServer.Classic(Files);
        var output = Path.Combine(_downloads, "data.bin");

        var run = await RunAsync(server, "get", "data.bin", "-j", connections, "-o", output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(Content, File.ReadAllBytes(output));
        Assert.StartsWith($"{output}: saved 2097152 bytes", run.Error, StringComparison.Ordinal);
        Assert.Single(run.Error.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'));
        var slices = server.Connections.SelectMany(connection => connection.Requests).Where(request => request.StartsWith("get_slice", StringComparison.Ordinal)).ToList();
        Assert.Single(slices, request => request.EndsWith(" raw", StringComparison.Ordinal));
        Assert.Equal(int.Parse(connections, CultureInfo.InvariantCulture), slices.Count(request => !request.EndsWith(" raw", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task GetOfARevisedServerAsksOnlyRaw()
    {
        await using var server = InMemoryHftpServer.Revision2026(Files);
        var output = Path.Combine(_downloads, "data.bin");

        var run = await RunAsync(server, "get", "data.bin", "-j", "4", "-o", output);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(Content, File.ReadAllBytes(output));
        var slices = server.Connections.SelectMany(connection => connection.Requests).Where(request => request.StartsWith("get_slice", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, slices.Count);
        Assert.All(slices, request => Assert.EndsWith(" raw", request, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HelpSaysTheServerHasNoHelpCommand()
    {
        await using var server = InMemoryHftpServer.Classic(Files);

        var run = await RunAsync(server, "help");

        Assert.Equal(ExitCodes.ServerError, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Equal("hftp: this server has no help command (classic HFTP: it answered 200 NO SUCH COMMAND)\n", run.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task ShellHelpShowsItsCommandsThenSaysTheServerHasNone()
    {
        await using var server = InMemoryHftpServer.Classic(Files);

        var run = await CliRun.InvokeWithInputAsync("help\nquit\n", "shell", "-H", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var output = run.Output.ReplaceLineEndings("\n");
        Assert.Contains("hftp> * Commands:\n", output, StringComparison.Ordinal);
        Assert.Contains("* This server has no help command (classic HFTP: it answered 200 NO SUCH COMMAND).\nhftp> 0 OK\n", output, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    private static Task<CliRun> RunAsync(ScriptedServer server, params string[] args) =>
        CliRun.InvokeAsync([.. args, "-H", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture)]);
}
