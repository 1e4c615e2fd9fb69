using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Hftp.Cli.Tests;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Deploy.Tests;

/// <summary>
/// deploy/haproxy.cfg for real: two hftp-server processes behind HAProxy, a download that survives the death of the
/// instance serving it, and the PROXY protocol from HAProxy to the servers.
/// </summary>
public sealed partial class ScaleOutTests : IDisposable
{
    private static readonly TimeSpan Bound = TestTimeouts.Transfer;

    // Wire bytes let through before the download is held: well into the file, far from its end.
    private const long HeldAfter = 1024 * 1024;

    private const int FileSize = 16 * 1024 * 1024;

    private readonly string _served = Directory.CreateTempSubdirectory("hftp-scale-served-").FullName;
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-scale-downloads-").FullName;

    public void Dispose()
    {
        Directory.Delete(_served, recursive: true);
        Directory.Delete(_downloads, recursive: true);
    }

    [HaproxyFact]
    public async Task ADownloadFinishesByteExactThroughAnotherInstanceWhenItsInstanceIsKilledMidTransfer()
    {
        var source = Path.Combine(_served, "big.bin");
        File.WriteAllBytes(source, RandomNumberGenerator.GetBytes(FileSize));
        using var first = StartServer();
        using var second = StartServer();
        int[] ports = [await first.WaitForPortAsync(Bound), await second.WaitForPortAsync(Bound)];
        using var haproxy = await HaproxyProcess.StartAsync(ports, string.Empty, Bound);

        // The relay holds the download after a known amount, so the instance is killed mid-transfer, not after it.
        using var relay = new TcpRelay(haproxy.Port, HeldAfter);
        var saved = Path.Combine(_downloads, "big.bin");
        using var hftp = HftpProcess.Start(
            "get", "big.bin", "-H", "127.0.0.1", "-p", relay.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-o", saved, "--retries", "5", "-q");
        Assert.True(await Eventually.HoldsAsync(() => relay.Forwarded >= HeldAfter, Bound), "the download did not start");

        // The one with a connection open is serving it (health checks are logged at Debug, so they do not count).
        Assert.True(await Eventually.HoldsAsync(() => OpenConnections(first) + OpenConnections(second) == 1, Bound), first.Output + second.Output);
        var (serving, other) = OpenConnections(first) == 1 ? (first, second) : (second, first);
        var servedBefore = ConnectedLines(other);
        using (var victim = System.Diagnostics.Process.GetProcessById(serving.Id))
        {
            victim.Kill(); // SIGKILL by its PID, mid-reply
            Assert.True(victim.WaitForExit(Bound));
        }

        relay.Release();

        var errors = await hftp.WaitForExitAsync();
        Assert.True(hftp.ExitCode == 0, $"hftp exited {hftp.ExitCode}: {errors}\nHAProxy: {haproxy.Output}");
        Assert.Equal(Hash(source), Hash(saved));
        Assert.True(ConnectedLines(other) > servedBefore, "the other instance did not serve the rest");
    }

    [HaproxyTheory]
    [InlineData("send-proxy")]
    [InlineData("send-proxy-v2")]
    public async Task BehindHaproxyWithTheProxyProtocolTheServerLogsTheRealClient(string sendProxy)
    {
        File.WriteAllText(Path.Combine(_served, "f.txt"), "hello");
        using var server = StartServer("--proxy-protocol", "--log-level", "Debug");
        using var haproxy = await HaproxyProcess.StartAsync([await server.WaitForPortAsync(Bound)], $"{sendProxy} check-send-proxy", Bound);

        // HAProxy's health check got through, with its header, and was answered.
        Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("quit -> 0 OK", StringComparison.Ordinal), Bound), server.Output);

        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, haproxy.Port));
        var self = client.Socket.LocalEndPoint!.ToString()!;
        await client.SendAsync(Requests.GetFileListing + Requests.Quit);
        await client.ExpectAsync(Replies.Listing("f.txt") + StatusCode.Ok.StatusLineText());
        await client.ExpectClosedAsync(Bound);

        Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains($"INF] Closed {self} (Quit)", StringComparison.Ordinal), Bound), server.Output);
        Assert.Contains($"INF] Connected by {self} through proxy 127.0.0.1:", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PROXY protocol header", server.Output, StringComparison.Ordinal);

        // Only the client's own lines are at Information; the health checks' are at Debug.
        var informationLines = server.Output.Split('\n').Where(line => ConnectionLine().IsMatch(line) && line.Contains("INF]", StringComparison.Ordinal));
        Assert.All(informationLines, line => Assert.Contains(self, line, StringComparison.Ordinal));
        Assert.Contains(server.Output.Split('\n'), line => line.Contains("DBG] Connected by 127.0.0.1:", StringComparison.Ordinal));
    }

    private ServerProcess StartServer(params string[] options) =>
        ServerProcess.Start(["--port", "0", "--address", "127.0.0.1", "--dir", _served, .. options]);

    private static int ConnectedLines(ServerProcess server) => CountLines(server, "INF] Connected by ");

    private static int OpenConnections(ServerProcess server) => ConnectedLines(server) - CountLines(server, "INF] Closed ");

    private static int CountLines(ServerProcess server, string fragment) =>
        server.Output.Split('\n').Count(line => line.Contains(fragment, StringComparison.Ordinal));

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    [GeneratedRegex(@"\] (Connected by|Closed) ")]
    private static partial Regex ConnectionLine();
}
