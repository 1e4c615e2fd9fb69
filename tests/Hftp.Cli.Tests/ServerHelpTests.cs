using System.Globalization;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// <c>hftp help</c> and the shell's <c>help</c> against the real (2026) server: the server's commands; in the shell,
/// after the shell's own. A raw slice typed in the shell is shown as text.
/// </summary>
public sealed class ServerHelpTests : IDisposable
{
    private readonly TestServer _server = TestServer.Start();

    public void Dispose() => _server.Dispose();

    private string Port => _server.Port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task HelpPrintsTheServersCommandsOnePerLine()
    {
        var run = await CliRun.InvokeAsync("help", "-H", "127.0.0.1", "-p", Port);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("get_file_listing\nget_metadata\nget_slice\nhelp\nquit\n", run.Output.ReplaceLineEndings("\n"));
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task ShellHelpShowsItsOwnCommandsThenTheServersAndHelpWithArgumentsGoesToTheServer()
    {
        var run = await CliRun.InvokeWithInputAsync("help\nhelp x\nquit\n", "shell", "-H", "127.0.0.1", "-p", Port);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var output = run.Output.ReplaceLineEndings("\n");
        Assert.Contains("hftp> * Commands:\n", output, StringComparison.Ordinal);
        Assert.Contains("* A line starting with get_file_listing, get_metadata, get_slice or quit is sent as typed,", output, StringComparison.Ordinal);
        Assert.Contains("* The server's commands (its 'help'): get_file_listing, get_metadata, get_slice, help, quit\nhftp> 201 INVALID ARGUMENTS FOR COMMAND\nhftp> 0 OK\n",
            output, StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task RawSliceTypedInTheShellIsShownAsTextAndTheShellGoesOn()
    {
        _server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");

        var run = await CliRun.InvokeWithInputAsync("get_slice archivo.txt 5 20 raw\nget_slice archivo.txt 0 0 raw\nget_metadata archivo.txt\nquit\n",
            "shell", "-H", "127.0.0.1", "-p", Port);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("hftp> 0 OK\nContent-Length: 20\n\ncalor que hace hoy, \nhftp> 0 OK\nContent-Length: 0\n\nhftp> 0 OK\n41\nhftp> 0 OK\n",
            run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }
}
