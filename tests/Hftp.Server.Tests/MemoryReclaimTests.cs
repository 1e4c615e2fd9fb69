using System.Net;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>The real server process gives memory back once a burst is over, and logs that it did.</summary>
public sealed class MemoryReclaimTests : IDisposable
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-reclaim-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task AfterABurstOfConnectionsTheServerGivesMemoryBackAndSaysSo()
    {
        using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound));

        // More connections than the threshold (256), ended; then the server is left quiet.
        await Parallel.ForAsync(0, 300, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, _) =>
        {
            using var client = RawClient.Connect(endPoint);
            await client.SendAsync(Requests.Quit);
            await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        });

        Assert.True(
            await Eventually.HoldsAsync(() => server.Output.Contains("Gave memory back after a burst (", StringComparison.Ordinal), Bound),
            server.Output[^Math.Min(2000, server.Output.Length)..]);

        // What it gave back, and how long that took.
        Assert.Matches(@"Gave memory back after a burst \(\d+ connections ended, \d+ MiB of reply buffers dropped\): RSS \d+ MiB -> \d+ MiB in \d+ ms", server.Output);
    }
}
