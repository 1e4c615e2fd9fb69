using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// The README's install path, for real: <c>dotnet pack</c> both tools, <c>dotnet tool install</c> them into a temporary
/// tool path from that folder alone (no other package source, a private package cache), then run the installed
/// <c>hftp-server</c> and <c>hftp</c> against each other. Packs the build the tests run on (<c>--no-build</c>).
/// </summary>
[Trait("Category", "Packaging")]
public sealed partial class ToolPackageTests : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TestTimeouts.Build;

    private readonly string _root = Directory.CreateTempSubdirectory("hftp-tools-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task PackedToolsInstallAndServeAFile()
    {
        var packages = Path.Combine(_root, "packages");
        var tools = Path.Combine(_root, "tools");
        var served = Directory.CreateDirectory(Path.Combine(_root, "served")).FullName;
        var content = RandomNumberGenerator.GetBytes(100_001);
        await File.WriteAllBytesAsync(Path.Combine(served, "data.bin"), content);
        var config = Path.Combine(_root, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{packages}" />
              </packageSources>
            </configuration>
            """);

        foreach (var project in new[] { "Hftp.Cli", "Hftp.Server" })
        {
            await RunAsync("dotnet", "pack", Path.Combine(RepositoryRoot, "src", project), "--no-build", "-c", Configuration, "-o", packages, "--disable-build-servers");
        }

        foreach (var package in new[] { "hftp", "hftp-server" })
        {
            await RunAsync("dotnet", "tool", "install", "--tool-path", tools, "--configfile", config, package);
        }

        Assert.StartsWith("1.0.0", await RunAsync(Path.Combine(tools, "hftp"), "--version"), StringComparison.Ordinal);
        using var server = Start(Path.Combine(tools, "hftp-server"), "--port", "0", "--address", "127.0.0.1", "--dir", served);
        try
        {
            var port = await WaitForPortAsync(server).WaitAsync(CommandTimeout);

            Assert.Equal("data.bin\n", (await RunAsync(Path.Combine(tools, "hftp"), "ls", "-H", "127.0.0.1", "-p", port)).ReplaceLineEndings("\n"));
            var saved = Path.Combine(_root, "saved.bin");
            await RunAsync(Path.Combine(tools, "hftp"), "get", "data.bin", "-o", saved, "-q", "-H", "127.0.0.1", "-p", port);
            Assert.Equal(content, await File.ReadAllBytesAsync(saved));
        }
        finally
        {
            if (!server.Process.HasExited)
            {
                server.Process.Kill();
                server.Process.WaitForExit(TestTimeouts.Process);
            }
        }
    }

    private static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Hftp.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("Hftp.sln not found above " + AppContext.BaseDirectory);
        }
    }

    // bin/CONFIGURATION/net10.0/: pack what this test run was built as.
    private static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    private RunningProcess Start(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // A private package cache, so the install takes the package just packed, never an older one of the same version.
        info.Environment["NUGET_PACKAGES"] = Path.Combine(_root, "package-cache");
        info.Environment["DOTNET_CLI_HOME"] = _root;
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        return new RunningProcess(Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start"));
    }

    private async Task<string> RunAsync(string fileName, params string[] arguments)
    {
        using var running = Start(fileName, arguments);
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await running.Process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!running.Process.HasExited)
            {
                running.Process.Kill(entireProcessTree: true);
                running.Process.WaitForExit(TestTimeouts.Process);
            }
        }

        running.Process.WaitForExit(); // drains the redirected output
        Assert.True(running.Process.ExitCode == 0,
            $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} exited {running.Process.ExitCode}:\n{running.Output}\n{running.Error}");
        return running.Output;
    }

    private static async Task<string> WaitForPortAsync(RunningProcess server)
    {
        while (!server.Process.HasExited)
        {
            var match = server.Lines.Select(line => ServingLine().Match(line)).FirstOrDefault(found => found.Success);
            if (match is not null)
            {
                return match.Groups[1].Value;
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"hftp-server exited {server.Process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {server.Output} {server.Error}");
    }

    [GeneratedRegex(@"Serving .* on .*:(\d+)$")]
    private static partial Regex ServingLine();

    /// <summary>A started process whose output lines are collected as they come.</summary>
    private sealed class RunningProcess : IDisposable
    {
        private readonly ConcurrentQueue<string> _output = new();
        private readonly ConcurrentQueue<string> _error = new();

        public RunningProcess(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Keep(_output, e.Data);
            process.ErrorDataReceived += (_, e) => Keep(_error, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public IEnumerable<string> Lines => _output;

        public string Output => string.Join('\n', _output) + (_output.IsEmpty ? string.Empty : "\n");

        public string Error => string.Join('\n', _error);

        public void Dispose() => Process.Dispose();

        private static void Keep(ConcurrentQueue<string> lines, string? line)
        {
            if (line is not null)
            {
                lines.Enqueue(line);
            }
        }
    }
}
