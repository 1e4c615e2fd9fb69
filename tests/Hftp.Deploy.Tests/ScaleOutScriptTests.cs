using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Hftp.Cli.Tests;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Deploy.Tests;

/// <summary>
/// deploy/scale-out.sh as shipped: three instances behind HAProxy, the one serving a download killed with SIGKILL,
/// and the script reporting it while HAProxy and the others go on serving until the script is told to stop.
/// </summary>
public sealed class ScaleOutScriptTests : IDisposable
{
    private static readonly TimeSpan Bound = TestTimeouts.Transfer;

    private const int FileSize = 64 * 1024 * 1024;

    // Wire bytes let through before the download is held, so the kill lands mid-transfer however fast loopback is.
    private const long HeldAfter = 8 * 1024 * 1024;

    private readonly string _served = Directory.CreateTempSubdirectory("hftp-scale-script-served-").FullName;
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-scale-script-downloads-").FullName;

    public void Dispose()
    {
        Directory.Delete(_served, recursive: true);
        Directory.Delete(_downloads, recursive: true);
    }

    [HaproxyFact]
    public async Task AKilledInstanceIsReportedAndTheDownloadItServedFinishesThroughTheOthers()
    {
        var source = Path.Combine(_served, "big.bin");
        File.WriteAllBytes(source, RandomNumberGenerator.GetBytes(FileSize));
        using var script = await ScaleOutScript.StartAsync(instances: 3, _served, Bound);
        Assert.Equal(3, script.Instances.Count);

        using var relay = new TcpRelay(script.Port, HeldAfter);
        var saved = Path.Combine(_downloads, "big.bin");
        using var hftp = HftpProcess.Start(
            "get", "big.bin", "-H", "127.0.0.1", "-p", relay.Port.ToString(CultureInfo.InvariantCulture), "-o", saved, "--retries", "5", "-q");
        Assert.True(await Eventually.HoldsAsync(() => relay.Forwarded >= HeldAfter, Bound), "the download did not start\n" + script.Output);

        // The instance with a connection open serves it (health checks are logged at Debug, so they do not count).
        Assert.True(
            await Eventually.HoldsAsync(() => script.Instances.Count(instance => OpenConnections(instance.Log) == 1) == 1, Bound),
            script.Output);
        var serving = script.Instances.Single(instance => OpenConnections(instance.Log) == 1);
        using (var victim = System.Diagnostics.Process.GetProcessById(serving.Pid))
        {
            victim.Kill(); // SIGKILL, by its PID, mid-reply
            Assert.True(victim.WaitForExit(Bound));
        }

        Assert.True(
            await Eventually.HoldsAsync(() => script.Output.Contains($"(pid {serving.Pid}) was killed by signal 9", StringComparison.Ordinal), Bound),
            script.Output);
        relay.Release();

        var errors = await hftp.WaitForExitAsync();
        Assert.True(hftp.ExitCode == 0, $"hftp exited {hftp.ExitCode}: {errors}\n{script.Output}");
        Assert.Equal(Hash(source), Hash(saved));

        // A new client is served through HAProxy, and the script still runs: nothing else was stopped.
        using (var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, script.Port)))
        {
            await client.SendAsync(Requests.GetFileListing + Requests.Quit);
            await client.ExpectAsync(Replies.Listing("big.bin") + StatusCode.Ok.StatusLineText());
            await client.ExpectClosedAsync(Bound);
        }

        Assert.False(script.HasExited, script.Output);
        var others = script.Instances.Where(instance => instance.Pid != serving.Pid).Select(instance => instance.Pid).ToArray();
        Assert.All(others.Append(script.HaproxyPid), pid => Assert.True(ScaleOutScript.IsAlive(pid), $"pid {pid} ended\n{script.Output}"));

        // SIGTERM stops the script and everything it started.
        Assert.True(script.Terminate(Bound), script.Output);
        Assert.Equal(0, script.ExitCode);
        Assert.Contains("scale-out.sh: stopped", script.Output, StringComparison.Ordinal);
        Assert.All(others.Append(script.HaproxyPid), pid => Assert.False(ScaleOutScript.IsAlive(pid), $"pid {pid} still runs\n{script.Output}"));
    }

    private static int OpenConnections(string log) => CountLines(log, "INF] Connected by ") - CountLines(log, "INF] Closed ");

    private static int CountLines(string log, string fragment)
    {
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            count += line.Contains(fragment, StringComparison.Ordinal) ? 1 : 0;
        }

        return count;
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
