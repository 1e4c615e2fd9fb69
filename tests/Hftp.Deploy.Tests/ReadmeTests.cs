using System.Diagnostics;
using System.Text.RegularExpressions;
using Hftp.Testing;

namespace Hftp.Deploy.Tests;

/// <summary>
/// The README as a newcomer follows it: its two set-up commands are there verbatim and still work, and its options
/// table, docs/operating.md and <c>hftp-server --help</c> name the same options and environment variables.
/// </summary>
public sealed partial class ReadmeTests
{
    private const string RunCommand = "dotnet run --project src/Hftp.Server -- --port 19500 --dir testdata";
    private const string TestCommand = "dotnet test Hftp.sln";

    private static readonly string Readme = File.ReadAllText(Repository.PathOf("README.md"));

    [Fact]
    public void TheTwoSetUpCommandsAreInTheReadmeVerbatimAndNameWhatExists()
    {
        Assert.Contains("```sh\n" + RunCommand + "\n```", Readme, StringComparison.Ordinal);
        Assert.Contains("```sh\n" + TestCommand + "\n```", Readme, StringComparison.Ordinal);
        Assert.True(File.Exists(Repository.PathOf("src/Hftp.Server/Hftp.Server.csproj")), "the project the run command names");
        Assert.True(File.Exists(Repository.PathOf("Hftp.sln")), "the solution the test command names");
        Assert.NotEmpty(Directory.GetFiles(Repository.PathOf("testdata")));
    }

    [Fact]
    public async Task TheServerStartsFromTheRepositoryRootWithTheRunCommandsOptions()
    {
        // The command's own options, but port 0: 19500 may be taken on a machine that runs tests.
        var options = RunCommand[(RunCommand.IndexOf(" -- ", StringComparison.Ordinal) + 4)..].Split(' ');
        Assert.Equal(["--port", "19500", "--dir", "testdata"], options);
        using var server = StartFromRoot(["--port", "0", "--address", "127.0.0.1", .. options[2..]]);
        try
        {
            // The start lines: the connection cap, the connection threads, where it serves (a missing directory would warn).
            using var timeout = new CancellationTokenSource(TestTimeouts.Process);
            var lines = new List<string>();
            while (await server.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (line.Contains("Serving ", StringComparison.Ordinal))
                {
                    break;
                }
            }

            var output = string.Join('\n', lines);
            Assert.Contains($"Serving {Repository.PathOf("testdata")} on 127.0.0.1:", output, StringComparison.Ordinal);
            Assert.DoesNotContain("WRN", output, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public void EveryOptionInTheReadmesTableIsOneTheServersHelpLists()
    {
        var documented = DocumentedOptions();
        Assert.Contains("--port", documented);
        Assert.Contains("--metrics", documented);

        var text = ServerHelp();
        var listed = OptionName().Matches(text).Select(match => match.Value).ToHashSet();
        Assert.All(documented, option => Assert.True(listed.Contains(option), $"{option} is in the README's table but not in --help:\n{text}"));
    }

    [Fact]
    public void EveryOptionInHelpIsInTheReadmesTableAndOperatingMdNamesOnlyThoseAndEveryVariable()
    {
        var text = ServerHelp();

        // The first column of each option line, e.g. "  -p, --port <PORT>    TCP port ...".
        var listed = text.Split('\n')
            .Where(line => line.StartsWith("  -", StringComparison.Ordinal))
            .SelectMany(line => OptionName().Matches(line.Trim().Split("  ")[0]).Select(match => match.Value))
            .Where(option => option is not ("-?" or "-h" or "--help" or "--version"))
            .ToHashSet();
        Assert.Contains("--metrics", listed);
        var documented = DocumentedOptions();
        Assert.All(listed, option => Assert.True(documented.Contains(option), $"{option} is in --help but not in the README's table"));

        var operating = File.ReadAllText(Repository.PathOf("docs/operating.md"));
        var named = OperatingOption().Matches(operating).Select(match => match.Groups[1].Value).ToHashSet();
        Assert.Contains("--max-connections", named);
        Assert.All(named, option => Assert.True(listed.Contains(option), $"{option} is in docs/operating.md but not in --help"));

        var variables = EnvironmentVariable().Matches(text).Select(match => match.Groups[1].Value).ToList();
        Assert.Contains("HFTP_PORT", variables); // one per option: EnvironmentSettingsTests
        Assert.All(variables, variable => Assert.True(operating.Contains($"`{variable}`", StringComparison.Ordinal), $"{variable} is in --help but not in docs/operating.md"));
    }

    private static string ServerHelp()
    {
        using var help = StartFromRoot(["--help"]);
        var text = help.StandardOutput.ReadToEnd();
        Assert.True(help.WaitForExit(TestTimeouts.Process), "hftp-server --help did not end");
        Assert.Equal(0, help.ExitCode);
        return text.ReplaceLineEndings("\n");
    }

    // Every option spelled in the first column of the table under "## Options".
    private static List<string> DocumentedOptions()
    {
        var section = Readme[Readme.IndexOf("\n## Options\n", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 1, StringComparison.Ordinal)];
        return [.. section.Split('\n')
            .Where(line => line.StartsWith("| `-", StringComparison.Ordinal))
            .SelectMany(line => OptionName().Matches(line.Split('|')[1]).Select(match => match.Value))];
    }

    // The server built beside the tests (or HFTP_SERVER_EXE), started in the repository root, as the README has it.
    private static Process StartFromRoot(string[] arguments)
    {
        var published = Environment.GetEnvironmentVariable("HFTP_SERVER_EXE");
        var info = new ProcessStartInfo(string.IsNullOrEmpty(published) ? "dotnet" : published)
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (string.IsNullOrEmpty(published))
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hftp-server.dll"));
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("the server did not start");
    }

    [GeneratedRegex(@"(?<![\w-])--?[a-zA-Z?][\w-]*")]
    private static partial Regex OptionName();

    // An option as docs/operating.md spells one: in backticks, at its start.
    [GeneratedRegex(@"`(--[a-z][\w-]*)")]
    private static partial Regex OperatingOption();

    [GeneratedRegex(@"\[env: (HFTP_[A-Z_]+)\]")]
    private static partial Regex EnvironmentVariable();
}
