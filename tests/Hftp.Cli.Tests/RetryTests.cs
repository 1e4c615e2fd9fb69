using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Hftp.Cli;
using Hftp.Testing;

namespace Hftp.Cli.Tests;

/// <summary>
/// <c>--retries</c>: a connection that drops mid-transfer is reconnected with backoff and continues from the
/// last byte written. A relay between client and server stops the transfer at a known point, so the server
/// can be killed and restarted there.
/// </summary>
public sealed class RetryTests : IDisposable
{
    private const long FileSize = 32L << 20;
    private readonly string _served = Directory.CreateTempSubdirectory("hftp-retry-served-").FullName;
    private readonly string _downloads = Directory.CreateTempSubdirectory("hftp-retry-downloads-").FullName;

    public RetryTests()
    {
        TestFiles.WriteSpreadRandom(Path.Combine(_served, "big.bin"), FileSize, spacing: 64 * 1024);
    }

    private string Output => Path.Combine(_downloads, "big.bin");

    public void Dispose()
    {
        Directory.Delete(_served, recursive: true);
        Directory.Delete(_downloads, recursive: true);
    }

    [Fact]
    public async Task DownloadSurvivesTheServerRestartingMidTransfer()
    {
        var first = ServerProcess.Start("--address", "127.0.0.1", "--port", "0", "--dir", _served);
        using var relay = new TcpRelay(await first.WaitForPortAsync(TestTimeouts.Process), budget: 4L << 20);
        var run = CliRun.InvokeAsync("get", "big.bin", "-j", "2", "--retries", "3", "-o", Output, "-H", "127.0.0.1", "-p", Port(relay));
        await WaitForBudgetAsync(relay, run);

        first.Dispose(); // killed by its PID, mid-transfer
        using var second = ServerProcess.Start("--address", "127.0.0.1", "--port", "0", "--dir", _served);
        relay.UpstreamPort = await second.WaitForPortAsync(TestTimeouts.Process);
        relay.Release();
        relay.DropConnections();
        var result = await run.WaitAsync(TestTimeouts.Transfer);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Error);
        Assert.Contains("; retry 1 of 3 in 0.2 s", result.Error, StringComparison.Ordinal);

        // Each connection retries its own range, and says which: no two retry lines alike.
        var retries = result.Error.ReplaceLineEndings("\n").Split('\n').Where(line => line.Contains("; retry ", StringComparison.Ordinal)).ToList();
        Assert.All(retries, line => Assert.Matches(@"^hftp: big\.bin bytes \d+-\d+: ", line));
        Assert.Equal(retries.Count, retries.Distinct().Count());
        Assert.Equal(TestFiles.HashOf(Path.Combine(_served, "big.bin")), TestFiles.HashOf(Output));
        Assert.Empty(Directory.GetFiles(_downloads, "*.part*"));
    }

    [Fact]
    public async Task RetriesGiveUpAfterTheLastOneAndKeepThePart()
    {
        using var server = TestServer.Start();
        TestFiles.WriteSpreadRandom(server.PathOf("big.bin"), FileSize, spacing: 64 * 1024);
        using var relay = new TcpRelay(server.Port, budget: 4L << 20);
        var run = CliRun.InvokeAsync("get", "big.bin", "--retries", "2", "-o", Output, "-H", "127.0.0.1", "-p", Port(relay));
        await WaitForBudgetAsync(relay, run);

        relay.UpstreamPort = ClosedPort(); // the server is gone for good
        relay.DropConnections();
        var result = await run.WaitAsync(TestTimeouts.Transfer);

        Assert.Equal(ExitCodes.NetworkError, result.ExitCode);
        Assert.Contains("retry 1 of 2 in 0.2 s", result.Error, StringComparison.Ordinal);
        Assert.Contains("retry 2 of 2 in 0.4 s", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("retry 3", result.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(Output + ".part") && File.Exists(Output + ".part.state"), "the part should be kept for --continue");
    }

    [Fact]
    public async Task RetryStopsWhenTheFileChangedOnTheServer()
    {
        using var server = TestServer.Start();
        TestFiles.WriteSpreadRandom(server.PathOf("big.bin"), FileSize, spacing: 64 * 1024);
        using var relay = new TcpRelay(server.Port, budget: 4L << 20);
        var run = CliRun.InvokeAsync("get", "big.bin", "-o", Output, "-H", "127.0.0.1", "-p", Port(relay));
        await WaitForBudgetAsync(relay, run);

        File.Delete(server.PathOf("big.bin"));
        server.WriteFile("big.bin", "something else");
        relay.Release();
        relay.DropConnections();
        var result = await run.WaitAsync(TestTimeouts.Transfer);

        Assert.Equal(ExitCodes.ServerError, result.ExitCode);
        Assert.Contains("big.bin changed on the server", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Output));

        // One hint, and a true one: the bytes of the old version are removed, not offered to --continue.
        Assert.DoesNotContain("--continue", result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.ReplaceLineEndings("\n").Split('\n'), line => line.Contains("start over", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(_downloads));
    }

    [Fact]
    public void BackoffDoublesUpToItsCap()
    {
        var policy = RetryPolicy.WithRetries(8);

        var delays = Enumerable.Range(1, 8).Select(retry => policy.DelayBefore(retry).TotalSeconds).ToArray();

        Assert.Equal([0.2, 0.4, 0.8, 1.6, 3.2, 5, 5, 5], delays.Select(seconds => Math.Round(seconds, 3)));
    }

    [Fact]
    public async Task RetriesIsAnOptionOfEveryCommand()
    {
        var run = await CliRun.InvokeAsync("get", "--help");

        Assert.Contains("--retries", run.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await CliRun.InvokeAsync("get", "x", "--retries", "-1")).ExitCode);
    }

    private static string Port(TcpRelay relay) => relay.Port.ToString(CultureInfo.InvariantCulture);

    private static async Task WaitForBudgetAsync(TcpRelay relay, Task<CliRun> run)
    {
        Assert.True(await Eventually.HoldsAsync(() => relay.Forwarded >= relay.Budget || run.IsCompleted, TestTimeouts.Condition),
            "the download never reached the relay's budget");
        if (run.IsCompleted)
        {
            Assert.Fail($"the download ended early: {(await run).Error}");
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
