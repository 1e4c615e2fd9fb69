using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// The <c>--metrics</c> endpoint of a real server process: scraped during and after a known load, its numbers
/// must be exactly the load's. Each test has its own process, so no other server's counts mix in.
/// </summary>
public sealed class MetricsTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TestTimeouts.Process;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-metrics-").FullName;
    private readonly HttpClient _http = new() { Timeout = TestTimeouts.Condition };

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task ScrapedNumbersMatchTheLoad()
    {
        File.WriteAllText(Path.Combine(_directory, "f.txt"), "hello");
        var data = new byte[300_000];
        new Random(10).NextBytes(data);
        File.WriteAllBytes(Path.Combine(_directory, "s.bin"), data);
        var metricsPort = FreePort.OnLoopback();
        var metrics = new Uri($"http://127.0.0.1:{metricsPort}/metrics");

        // One connection at a time: the idle client holds the only slot until its idle timeout frees it.
        using var server = ServerProcess.Start("--address", "127.0.0.1", "--port", "0", "--dir", _directory,
            "--max-connections", "1", "--idle-timeout", "1s", "--metrics", $"127.0.0.1:{metricsPort}");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(ProcessTimeout));

        using (var idle = RawClient.Connect(endPoint))
        {
            await idle.ExpectClosedAsync(ProcessTimeout);
        }

        var (requests, replies) = Load(data);
        using var client = RawClient.Connect(endPoint);
        await client.SendAsync(requests);
        await client.ExpectAsync(replies, ProcessTimeout);

        // Mid-load: the load's connection is still open, so accepting it filled the cap a second time.
        var during = await ScrapeUntilAsync(metrics, scrape => scrape.Value("hftp_connections_cap_reached_total") == 2);
        Assert.Equal(1, during.Value("hftp_connections_open"));
        Assert.Equal(1, during.Value("hftp_connections_max"));
        Assert.Equal(2, during.Value("hftp_connections_accepted_total"));
        Assert.Equal(5, RequestCount(during, Command.GetMetadata.Name(), StatusCode.Ok));
        Assert.Equal(2, RequestCount(during, Command.GetMetadata.Name(), StatusCode.FileNotFound));
        Assert.Equal(3, RequestCount(during, Command.GetSlice.Name(), StatusCode.Ok));
        Assert.Equal(1, RequestCount(during, Command.GetSlice.Name(), StatusCode.OffsetExceedsFileSize));
        Assert.Equal(4, RequestCount(during, "invalid", StatusCode.NoSuchCommand));
        Assert.Equal(1, RequestCount(during, "invalid", StatusCode.InvalidArguments));
        Assert.Equal(16, during.Value("hftp_requests_total"));
        Assert.Equal(Encoding.ASCII.GetByteCount(replies), during.Value("hftp_sent_bytes_total"));
        Assert.Equal(3, during.Value("hftp_slice_duration_seconds_count"));
        Assert.Equal(1, during.Value("hftp_timeouts_total", ("hftp_timeout_kind", "idle")));
        Assert.Equal(1, during.Value("hftp_timeouts_total"));
        Assert.Equal(1, during.Value("hftp_connections_closed_total", ("hftp_close_reason", "idle_timeout")));
        Assert.Equal(1, during.Value("hftp_connections_closed_total"));

        await client.SendAsync(Requests.Quit);
        await client.ExpectAsync(StatusCode.Ok.StatusLineText());
        await client.ExpectClosedAsync(ProcessTimeout);
        var after = await ScrapeUntilAsync(metrics, scrape => scrape.Value("hftp_connections_open") == 0);
        Assert.Equal(1, RequestCount(after, Command.Quit.Name(), StatusCode.Ok));
        Assert.Equal(Encoding.ASCII.GetByteCount(replies + StatusCode.Ok.StatusLineText()), after.Value("hftp_sent_bytes_total"));
        Assert.Equal(1, after.Value("hftp_connections_closed_total", ("hftp_close_reason", "quit")));
        Assert.Equal(2, after.Value("hftp_connections_accepted_total"));
    }

    [PromtoolFact]
    public async Task ScrapeIsValidPrometheusText()
    {
        File.WriteAllText(Path.Combine(_directory, "f.txt"), "hello");
        var metricsPort = FreePort.OnLoopback();
        using var server = ServerProcess.Start("--address", "127.0.0.1", "--port", "0", "--dir", _directory,
            "--metrics", $"127.0.0.1:{metricsPort}");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(ProcessTimeout));
        using (var client = RawClient.Connect(endPoint))
        {
            await client.SendAsync(Requests.GetSlice("f.txt", 0, 3) + Requests.Line("nope") + Requests.Quit);
            await client.ExpectAsync(Replies.Base64Slice("aGVs") + StatusCode.NoSuchCommand.StatusLineText() + StatusCode.Ok.StatusLineText());
            await client.ExpectClosedAsync(ProcessTimeout);
        }

        var scrape = await ScrapeUntilAsync(new Uri($"http://127.0.0.1:{metricsPort}/metrics"),
            scrape => scrape.Value("hftp_connections_closed_total") == 1);
        Assert.True(scrape.Has("hftp_slice_duration_seconds_bucket"), scrape.Text);

        var (exitCode, output) = await Promtool.CheckMetricsAsync(scrape.Text);

        Assert.True(exitCode == 0 && output.Length == 0, $"promtool check metrics exited {exitCode}: {output}\n{scrape.Text}");
    }

    [Fact]
    public async Task BusyMetricsPortIsOneLineAndExitCodeTwo()
    {
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        using var server = ServerProcess.Start("--address", "127.0.0.1", "--port", "0", "--dir", _directory,
            "--metrics", $"127.0.0.1:{port}");

        Assert.True(server.WaitForExit(ProcessTimeout));
        Assert.Equal(ServerCommand.StartupFailed, server.ExitCode);
        Assert.StartsWith($"hftp-server: cannot serve metrics on 127.0.0.1:{port}: ", server.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', server.Error);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("localhost:9464")]
    [InlineData("::1")]
    [InlineData(":9464")]
    public async Task MetricsAddressWithoutAPortIsAShortErrorAndExitCodeOne(string value)
    {
        using var error = new StringWriter();

        var exitCode = await ServerCommand.InvokeAsync(["--metrics", value], error);

        Assert.Equal(ServerCommand.UsageError, exitCode);
        Assert.StartsWith($"hftp-server: --metrics: '{value}' is not ADDRESS:PORT", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetricsOnIpv6IsAShortErrorAndExitCodeOne()
    {
        using var error = new StringWriter();

        var exitCode = await ServerCommand.InvokeAsync(["--metrics", "[::1]:9464"], error);

        Assert.Equal(ServerCommand.UsageError, exitCode);
        Assert.StartsWith("hftp-server: --metrics: '[::1]:9464' is IPv6", error.ToString(), StringComparison.Ordinal);
    }

    // 16 requests of known replies, sent as one pipelined write.
    private static (string Requests, string Replies) Load(byte[] data)
    {
        var requests = new StringBuilder();
        var replies = new StringBuilder();
        void Add(string request, string reply)
        {
            requests.Append(request);
            replies.Append(reply);
        }

        for (var i = 0; i < 5; i++)
        {
            Add(Requests.GetMetadata("f.txt"), Replies.Size(5));
        }

        Add(Requests.GetMetadata("missing.txt"), StatusCode.FileNotFound.StatusLineText());
        Add(Requests.GetMetadata("gone.txt"), StatusCode.FileNotFound.StatusLineText());
        foreach (var (offset, size) in new[] { (0, 3), (10, 3000), (1000, 200_000) })
        {
            Add(Requests.GetSlice("s.bin", offset, size), Replies.Slice(data.AsSpan(offset, size)));
        }

        Add(Requests.GetSlice("f.txt", 3, 10), StatusCode.OffsetExceedsFileSize.StatusLineText());
        for (var i = 0; i < 4; i++)
        {
            Add(Requests.Line("nope"), StatusCode.NoSuchCommand.StatusLineText());
        }

        Add(Requests.Line(Command.GetMetadata.Name()), StatusCode.InvalidArguments.StatusLineText());
        return (requests.ToString(), replies.ToString());
    }

    private static double RequestCount(PrometheusScrape scrape, string command, StatusCode status) =>
        scrape.Value("hftp_requests_total",
            ("hftp_request_command", command),
            ("hftp_response_status_code", ((int)status).ToString(CultureInfo.InvariantCulture)));

    [Fact]
    public async Task ConnectionThreadsAreCountedByState()
    {
        const int clientCount = 20;
        var metricsPort = FreePort.OnLoopback();
        var metrics = new Uri($"http://127.0.0.1:{metricsPort}/metrics");

        // At most 3 kept idle: the others end as soon as their connections do.
        using var server = ServerProcess.Start("--address", "127.0.0.1", "--port", "0", "--dir", _directory,
            "--min-spare-threads", "0", "--max-spare-threads", "3", "--metrics", $"127.0.0.1:{metricsPort}");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(ProcessTimeout));
        static double Threads(PrometheusScrape scrape, string state) => scrape.Value("hftp_connection_threads", ("hftp_thread_state", state));

        var clients = Enumerable.Range(0, clientCount).Select(_ => RawClient.Connect(endPoint)).ToList();
        try
        {
            await Task.WhenAll(clients.Select(async client =>
            {
                await client.SendAsync(Requests.GetFileListing);
                await client.ExpectAsync(StatusCode.Ok.StatusLineText() + "\r\n");
            }));

            var held = await ScrapeUntilAsync(metrics, scrape => Threads(scrape, "busy") >= clientCount);
            Assert.True(Threads(held, "busy") >= clientCount, $"{Threads(held, "busy")} busy threads");
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }

        // Back from their connections: 3 idle, the rest ended.
        var after = await ScrapeUntilAsync(metrics, scrape => Threads(scrape, "busy") == 0 && Threads(scrape, "idle") == 3);
        Assert.Equal(3, Threads(after, "idle"));
        Assert.Equal(0, Threads(after, "busy"));
    }

    // Counters move on the server's threads; poll the endpoint, bounded, until the state looked for is there.
    private async Task<PrometheusScrape> ScrapeUntilAsync(Uri uri, Func<PrometheusScrape, bool> condition)
    {
        var deadline = DateTime.UtcNow + ProcessTimeout;
        while (true)
        {
            var scrape = await PrometheusScrape.FetchAsync(_http, uri);
            if (condition(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(20);
        }
    }
}
