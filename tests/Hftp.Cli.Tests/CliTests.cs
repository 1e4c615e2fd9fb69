using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly TestServer _server = TestServer.Start();
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-downloads-").FullName;

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_downloads, recursive: true);
    }

    private string Port => _server.Port.ToString(CultureInfo.InvariantCulture);

    private string Saved(string name) => Path.Combine(_downloads, name);

    [Fact]
    public async Task LsPrintsOneNamePerLine()
    {
        _server.WriteFile("b", "2");
        _server.WriteFile("a", "1");

        var run = await CliRun.InvokeAsync("ls", "--host", "127.0.0.1", "--port", Port);

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("a\nb\n", run.Output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task StatShowsReadableAndExactSizesAndFailsForAMissingFile()
    {
        _server.WriteFile("small", new byte[1536]);

        var run = await CliRun.InvokeAsync("stat", "small", "missing", "-H", "127.0.0.1", "-p", Port);

        Assert.Equal(ExitCodes.ServerError, run.ExitCode);
        Assert.Equal("small\t1.5 KiB\t1536 bytes\n", run.Output.ReplaceLineEndings("\n"));
        Assert.Equal("hftp: missing: FILE NOT FOUND (202)\n", run.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task GetSavesTheWholeFileAndLeavesNoPart()
    {
        var content = RandomNumberGenerator.GetBytes(300_001);
        _server.WriteFile("data.bin", content);

        var run = await CliRun.InvokeAsync("get", "data.bin", "-o", Saved("data.bin"), "-p", Port, "-H", "127.0.0.1");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(content, File.ReadAllBytes(Saved("data.bin")));
        Assert.False(File.Exists(Saved("data.bin.part")));
        Assert.Contains("data.bin: saved 300001 bytes", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSavesARange()
    {
        _server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");

        var run = await CliRun.InvokeAsync("get", "archivo.txt", "--offset", "5", "--length", "20", "-o", Saved("range.txt"), "-q", "-p", Port, "-H", "127.0.0.1");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal("calor que hace hoy, ", File.ReadAllText(Saved("range.txt")));
        Assert.Empty(run.Error);
    }

    [Fact]
    public async Task ParallelDownloadOfAFewHundredMebibytesIsByteExact()
    {
        TestFiles.WriteSpreadRandom(_server.PathOf("large.bin"), 200L << 20);

        var run = await CliRun.InvokeAsync("get", "large.bin", "-j", "4", "-o", Saved("large.bin"), "-p", Port, "-H", "127.0.0.1");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Equal(TestFiles.HashOf(_server.PathOf("large.bin")), TestFiles.HashOf(Saved("large.bin")));
        Assert.Empty(Directory.GetFiles(_downloads, "*.part*"));
    }

    [Theory]
    [InlineData("missing.bin", "hftp: missing.bin: FILE NOT FOUND (202)")]
    [InlineData("bad name", "is not an HFTP file name")]
    public async Task GetErrorsNameTheProblemAndExitWithTheirCode(string name, string expected)
    {
        var run = await CliRun.InvokeAsync("get", name, "-o", Saved("x"), "-p", Port, "-H", "127.0.0.1");

        Assert.Equal(name.Contains(' ', StringComparison.Ordinal) ? ExitCodes.Usage : ExitCodes.ServerError, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_downloads));
    }

    [Fact]
    public async Task RangePastTheEndIsTheServers203()
    {
        _server.WriteFile("ten", "0123456789");

        var run = await CliRun.InvokeAsync("get", "ten", "--offset", "5", "--length", "6", "-o", Saved("ten"), "-p", Port, "-H", "127.0.0.1");

        Assert.Equal(ExitCodes.ServerError, run.ExitCode);
        Assert.Equal("hftp: ten: OFFSET EXCEEDS FILE SIZE (203)\n", run.Error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task NoServerIsANetworkError()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        closed.Stop();

        var run = await CliRun.InvokeAsync("ls", "-H", "127.0.0.1", "-p", port);

        Assert.Equal(ExitCodes.NetworkError, run.ExitCode);
        Assert.StartsWith($"hftp: Cannot connect to 127.0.0.1:{port}", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("ls", "--port", "99999")]
    [InlineData("get", "f", "-j", "0")]
    [InlineData("get", "f", "--offset", "-3")]
    [InlineData("frobnicate")]
    public async Task BadCommandLineIsAUsageError(params string[] args)
    {
        var run = await CliRun.InvokeAsync(args);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.StartsWith("hftp: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShellListsAcceptsProtocolCommandsAndDownloads()
    {
        _server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");
        var target = Saved("archivo.txt");
        var input = "get_metadata archivo.txt\nget_slice archivo.txt 5 20\nget_metadata nada\nverdura_only_spaces  \n" + target + "\nquit\n";

        var run = await CliRun.InvokeWithInputAsync(input, "shell", "-p", Port, "-H", "127.0.0.1");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        var output = run.Output.ReplaceLineEndings("\n");
        Assert.Contains("Files:\narchivo.txt\n", output, StringComparison.Ordinal);
        Assert.Contains("hftp> 0 OK\n41\n", output, StringComparison.Ordinal);
        Assert.Contains("hftp> 0 OK\nY2Fsb3IgcXVlIGhhY2UgaG95LCA=\n", output, StringComparison.Ordinal);
        Assert.Contains("hftp> 202 FILE NOT FOUND\n", output, StringComparison.Ordinal);
        Assert.EndsWith("hftp> 0 OK\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpDocumentsTheExitCodes()
    {
        var run = await CliRun.InvokeAsync("--help");

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        Assert.Contains("2 server error status, 3 network failure", run.Output, StringComparison.Ordinal);
        foreach (var command in new[] { "ls", "stat", "get", "shell" })
        {
            Assert.Contains(command, HelpNames(run.Output));
        }
    }

    [Theory]
    [InlineData("ls --port 0", "--port must be a whole number from 1 to 65535 (got '0').")]
    [InlineData("ls -p http", "--port must be a whole number from 1 to 65535 (got 'http').")]
    [InlineData("get f -j 65", "--connections must be a whole number from 1 to 64 (got '65').")]
    [InlineData("get f --retries -1", "--retries must be a whole number from 0 to 1000 (got '-1').")]
    [InlineData("get f --offset -5", "--offset must be a whole number of bytes, 0 or more (got '-5').")]
    [InlineData("get f --length 1.5", "--length must be a whole number of bytes, 0 or more (got '1.5').")]
    public async Task BadNumberIsOneLineNamingTheOptionAndExitCodeOne(string arguments, string message)
    {
        var run = await CliRun.InvokeAsync(arguments.Split(' '));

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Equal($"hftp: {message}\nTry 'hftp --help' for more information.\n", run.Error.ReplaceLineEndings("\n"));
        Assert.Empty(run.Output);
    }

    [Theory]
    [InlineData("--help", "-H --host -p --port --retries --version")]
    [InlineData("get --help", "-o --output --offset --length -c --continue -f --force -j --connections -q --quiet -H -p --retries")]
    public async Task HelpListsEveryOptionByEachOfItsNames(string arguments, string names)
    {
        var run = await CliRun.InvokeAsync(arguments.Split(' '));

        Assert.Equal(ExitCodes.Success, run.ExitCode);
        foreach (var name in names.Split(' '))
        {
            Assert.Contains(name, HelpNames(run.Output));
        }
    }

    // The first column of the help's option and command lines ("  -j, --connections <N>  ...", "  get <NAME>  ..."),
    // split into whole names: a substring search finds "-p" inside "--port" and "ls" inside other words.
    private static HashSet<string> HelpNames(string help) => help.ReplaceLineEndings("\n").Split('\n')
        .Where(line => line.StartsWith("  ", StringComparison.Ordinal))
        .SelectMany(line => line.TrimStart().Split("  ")[0].Split(", "))
        .Select(name => name.Split(' ')[0])
        .ToHashSet(StringComparer.Ordinal);
}
