using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hftp.Cli;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary><c>hftp shell</c>: slices of any size, built-in commands, surviving a failed download, a clean end.</summary>
public sealed class ShellTests : IDisposable
{
    private readonly TestServer _server = TestServer.Start();
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-shell-").FullName;

    public ShellTests() => _server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_downloads, recursive: true);
    }

    private string Port => _server.Port.ToString(CultureInfo.InvariantCulture);

    private string Saved(string name) => Path.Combine(_downloads, name);

    [Fact]
    public async Task SliceOfAnySizeIsShownAsTheServerSentIt()
    {
        var content = new byte[300_000];
        new Random(7).NextBytes(content);
        _server.WriteFile("big.bin", content);

        var run = await RunShellAsync(_server.Port, "get_slice big.bin 0 300000\nget_slice big.bin 300000 0\nquit\n");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains($"hftp> 0 OK\n{Convert.ToBase64String(content)}\nhftp> 0 OK\n\nhftp> 0 OK\n", run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task FatalStatusEndsTheShellSayingTheServerClosed()
    {
        var run = await RunShellAsync(_server.Port, "get_metadata \u00e9\nget_metadata archivo.txt\n");

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.EndsWith("hftp> 101 BAD REQUEST\n", run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Equal("hftp: the server closed the connection after 101 BAD REQUEST\n", run.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task HelpAndLsAreCommandsNotFileNames()
    {
        var run = await RunShellAsync(_server.Port, "help\nls\nget\nexit\n");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var output = run.Output.ReplaceLineEndings("\n");
        Assert.Contains("hftp> * Commands:\n", output, StringComparison.Ordinal);
        Assert.Contains("get NAME [PATH]", output, StringComparison.Ordinal);
        Assert.Contains("hftp> archivo.txt\nhftp> ", output, StringComparison.Ordinal);
        Assert.Equal("hftp: usage: get NAME [PATH]\n", run.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task GetSavesToThePathGiven()
    {
        var run = await RunShellAsync(_server.Port, $"get archivo.txt {Saved("copy.txt")}\nquit\n");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("!Que calor que hace hoy, pinta una birra!", File.ReadAllText(Saved("copy.txt")));
        Assert.Contains($"{Saved("copy.txt")}: saved 41 bytes", run.Error, StringComparison.Ordinal); // the path saved, not the remote name
    }

    [Fact]
    public async Task LocalFailureOfADownloadIsShownAndTheShellGoesOn()
    {
        var unwritable = Path.Combine(_downloads, "no-such-directory", "copy.txt");

        var run = await RunShellAsync(_server.Port, $"get archivo.txt {unwritable}\nget_metadata archivo.txt\nquit\n");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal($"hftp: cannot save {unwritable}: the directory {Path.GetDirectoryName(unwritable)} does not exist\n", run.Error.ReplaceLineEndings("\n"));
        Assert.EndsWith("hftp> 0 OK\n41\nhftp> 0 OK\n", run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedOverwriteIsShownAndTheShellGoesOn()
    {
        File.WriteAllText(Saved("copy.txt"), "mine");

        var run = await RunShellAsync(_server.Port, $"get archivo.txt {Saved("copy.txt")}\nget_metadata archivo.txt\nquit\n");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("mine", File.ReadAllText(Saved("copy.txt")));

        // The shell has no --force: the hint is one that works at its prompt.
        Assert.Equal($"hftp: {Saved("copy.txt")} already exists; save it under another name with 'get archivo.txt PATH', or remove it\n",
            run.Error.ReplaceLineEndings("\n"));
        Assert.EndsWith("hftp> 0 OK\n41\nhftp> 0 OK\n", run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NetworkFailureOfADownloadIsShownAndTheShellGoesOn()
    {
        // The shell's own connection answers properly; the download's slice connection drops mid-reply.
        await using var server = ScriptedServer.Start(async connection =>
        {
            for (var request = await connection.ReadRequestAsync(); request is not null; request = await connection.ReadRequestAsync())
            {
                switch (request)
                {
                    case "get_file_listing":
                        await connection.SendAsync(Replies.Listing("f"));
                        break;
                    case "get_metadata f":
                        await connection.SendAsync(Replies.Size(3));
                        break;
                    case "get_slice f 0 3":
                        await connection.SendAsync(StatusCode.Ok.StatusLineText() + "QU");
                        return;
                    default:
                        await connection.SendAsync(StatusCode.Ok.StatusLineText());
                        return;
                }
            }
        });

        var run = await RunShellAsync(server.Port, $"get f {Saved("f")}\nget_metadata f\nquit\n");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("hftp: The server closed the connection in the middle of a reply", run.Error, StringComparison.Ordinal);
        Assert.EndsWith("hftp> 0 OK\n3\nhftp> 0 OK\n", run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.False(File.Exists(Saved("f")));
    }

    [Fact]
    public async Task EndOfInputEndsThePromptLineAndQuits()
    {
        var run = await RunShellAsync(_server.Port, "get_metadata archivo.txt\n");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.EndsWith("hftp> 0 OK\n41\nhftp> \n", run.Output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.True(await Eventually.HoldsAsync(() => _server.Log.Contains(Serilog.Events.LogEventLevel.Information, "(Quit)"), TestTimeouts.Condition));
    }

    [Fact]
    public async Task InterruptAtThePromptEndsTheLineAndExits130()
    {
        var info = HftpCommandLine.StartInfo(["shell", "-H", "127.0.0.1", "-p", Port]);
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;

        using var process = Process.Start(info)!;
        try
        {
            var output = new StringBuilder();
            var reading = CollectAsync(process.StandardOutput, output);
            var errors = process.StandardError.ReadToEndAsync();
            Assert.True(await Eventually.HoldsAsync(() => Snapshot(output).EndsWith("hftp> ", StringComparison.Ordinal), TestTimeouts.Process),
                $"no prompt; output so far: {Snapshot(output)}");

            using (var interrupt = Process.Start(new ProcessStartInfo("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))!)
            {
                await interrupt.WaitForExitAsync();
            }

            Assert.True(process.WaitForExit(TestTimeouts.Process), "hftp shell did not stop on SIGINT");
            await reading.WaitAsync(TestTimeouts.Reply);
            Assert.Equal(ExitCodes.Interrupted, process.ExitCode);
            Assert.EndsWith("hftp> \n", Snapshot(output).ReplaceLineEndings("\n"), StringComparison.Ordinal);
            Assert.Equal("hftp: interrupted\n", (await errors.WaitAsync(TestTimeouts.Reply)).ReplaceLineEndings("\n"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private static Task<CliRun> RunShellAsync(int port, string input) =>
        CliRun.InvokeWithInputAsync(input, "shell", "-H", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture));

    // The prompt has no line end, so the output is read as characters, not lines.
    private static async Task CollectAsync(StreamReader reader, StringBuilder output)
    {
        var buffer = new char[1024];
        for (var read = await reader.ReadAsync(buffer); read > 0; read = await reader.ReadAsync(buffer))
        {
            lock (output)
            {
                output.Append(buffer, 0, read);
            }
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
