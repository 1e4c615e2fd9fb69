using System.Net;
using System.Text.RegularExpressions;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Deploy.Tests;

/// <summary>
/// deploy/haproxy.cfg for real: the PROXY protocol from HAProxy to the servers. (The failover through
/// deploy/scale-out.sh is <see cref="ScaleOutScriptTests"/>.)
/// </summary>
public sealed partial class ScaleOutTests : IDisposable
{
    private static readonly TimeSpan Bound = TestTimeouts.Transfer;

    private readonly string _served = Directory.CreateTempSubdirectory("hftp-scale-served-").FullName;

    public void Dispose()
    {
        Directory.Delete(_served, recursive: true);
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

    [GeneratedRegex(@"\] (Connected by|Closed) ")]
    private static partial Regex ConnectionLine();
}
