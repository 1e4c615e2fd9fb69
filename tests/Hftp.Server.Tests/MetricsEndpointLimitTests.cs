using System.Net;
using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog;

namespace Hftp.Server.Tests;

/// <summary>The metrics endpoint under floods and few descriptors: it holds a few scrapes at a time and never takes the server down.</summary>
public sealed class MetricsEndpointLimitTests : IDisposable
{
    // The metrics of no server: these tests are about the endpoint, not the numbers.
    private static readonly ServerMetrics Unserved = new(() => 0, () => 1, () => default);

    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-metrics-limit-").FullName;
    private readonly HttpClient _http = new() { Timeout = TestTimeouts.Condition };

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task FloodOfHeldScrapesWhileClientsComeAndGoUnderAHardDescriptorLimitLeavesTheServerServing()
    {
        // The run that once aborted the server (SIGABRT, "Out of memory.", exit 134): a hard limit of 1,024
        // descriptors, one scrape, 900 connections held open to the endpoint, 600 clients at once, twice.
        File.WriteAllText(Path.Combine(_directory, "f"), "hello");
        var metricsPort = FreePort.OnLoopback();
        var metrics = new Uri($"http://127.0.0.1:{metricsPort}/metrics");
        using var server = ServerProcess.StartWithFileLimit(1024, "--address", "127.0.0.1", "--port", "0", "--dir", _directory,
            "--metrics", $"127.0.0.1:{metricsPort}");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound));
        Assert.True((await PrometheusScrape.FetchAsync(_http, metrics)).Has("hftp_connections_open"));

        var held = await HoldConnectionsAsync(new IPEndPoint(IPAddress.Loopback, metricsPort), 900);
        try
        {
            for (var round = 0; round < 2; round++)
            {
                var clients = Enumerable.Range(0, 600).Select(_ => RawClient.Connect(endPoint)).ToList();
                try
                {
                    await Task.WhenAll(clients.Select(async client =>
                    {
                        await client.SendAsync(Requests.GetMetadata("f"));
                        await client.ExpectAsync(Replies.Size(5), TestTimeouts.Reply);
                    }));
                }
                finally
                {
                    clients.ForEach(client => client.Dispose());
                }

                Assert.False(server.HasExited, server.HasExited ? $"the server exited {server.ExitCode}: {server.Error}" : null);
            }
        }
        finally
        {
            held.ForEach(socket => socket.Dispose());
        }

        Assert.True((await PrometheusScrape.FetchAsync(_http, metrics)).Value("hftp_connections_accepted_total") >= 1200);
        using (var client = RawClient.Connect(endPoint))
        {
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(5), TestTimeouts.Reply);
        }

        server.Terminate();
        Assert.True(server.WaitForExit(TestTimeouts.Process), "the server did not exit after SIGTERM");
        Assert.Equal(0, server.ExitCode);
    }

    [Fact]
    public async Task OutOfDescriptorsTheEndpointLogsOnceAndAnswersTheWaitingScrapeWhenSomeAreFree()
    {
        // As in FileDescriptorLimitTests: the limit is lowered under the running server, and 160 held clients use
        // up what is left, so the endpoint's accept meets EMFILE too.
        var metricsPort = FreePort.OnLoopback();
        using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", _directory, "--max-connections", "1000",
            "--metrics", $"127.0.0.1:{metricsPort}");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound));
        server.LowerFileLimit(128);
        var held = new List<RawClient>();
        Task<PrometheusScrape> scrape;
        try
        {
            for (var index = 0; index < 160; index++)
            {
                held.Add(RawClient.Connect(endPoint));
            }

            Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("Cannot accept new connections", StringComparison.Ordinal), Bound), server.Output);
            scrape = PrometheusScrape.FetchAsync(_http, new Uri($"http://127.0.0.1:{metricsPort}/metrics"));

            // Which of the server's descriptor-hungry steps fails first depends on timing: accepting, or starting the
            // connection thread (then clients wait in the backlog and a descriptor may stay free for the endpoint).
            // Either way the endpoint must warn rather than fail, and the scrape must be answered in the end.
            Assert.True(await Eventually.HoldsAsync(
                () => scrape.IsCompleted || server.Output.Contains("Metrics endpoint cannot accept a scrape", StringComparison.Ordinal), Bound),
                server.Output);
        }
        finally
        {
            held.ForEach(client => client.Dispose());
        }

        Assert.True((await scrape).Has("hftp_connections_open"));
        Assert.True(server.Output.Split('\n').Count(line => line.Contains("Metrics endpoint cannot accept a scrape", StringComparison.Ordinal)) <= 1, server.Output);
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
        server.Terminate();
        Assert.True(server.WaitForExit(TestTimeouts.Process), "the server did not exit after SIGTERM");
        Assert.Equal(0, server.ExitCode);
    }

    [Fact]
    public async Task ScrapersThatSendNothingAreClosedAfterTheTimeoutAndOthersWaitTheirTurn()
    {
        var log = new CapturedLog();
        using var logger = new LoggerConfiguration().WriteTo.Sink(log).CreateLogger();
        using var endpoint = new MetricsEndpoint(new IPEndPoint(IPAddress.Loopback, 0), Unserved, logger, TimeSpan.FromMilliseconds(300));
        var silent = await HoldConnectionsAsync(endpoint.EndPoint, MetricsEndpoint.MaxConnections);
        try
        {
            // Every worker holds a silent scraper: this scrape waits in the backlog until their timeout closes them.
            var scrape = await PrometheusScrape.FetchAsync(_http, endpoint.Uri);
            Assert.Contains("target_info", scrape.Text, StringComparison.Ordinal);
            foreach (var socket in silent)
            {
                Assert.Equal(0, await socket.ReceiveAsync(new byte[16]).WaitAsync(Bound));
            }
        }
        finally
        {
            silent.ForEach(socket => socket.Dispose());
        }
    }

    [Theory]
    [InlineData("GET /other HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found")]
    [InlineData("POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed")]
    [InlineData("nonsense\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK")]
    public async Task RequestsOtherThanAScrapeGetTheirHttpStatus(string request, string statusLine)
    {
        using var logger = new LoggerConfiguration().CreateLogger();
        using var endpoint = new MetricsEndpoint(new IPEndPoint(IPAddress.Loopback, 0), Unserved, logger);
        using var client = RawClient.Connect(endpoint.EndPoint);
        await client.SendAsync(request);
        Assert.Equal(statusLine, await client.ReadLineAsync());
    }

    private static async Task<List<Socket>> HoldConnectionsAsync(IPEndPoint endPoint, int count)
    {
        // Past the endpoint's backlog the kernel drops the handshakes: those attempts time out, unheld.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var attempts = Enumerable.Range(0, count).Select(async _ =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endPoint, deadline.Token);
                return socket;
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException)
            {
                socket.Dispose();
                return null;
            }
        });
        return [.. (await Task.WhenAll(attempts)).OfType<Socket>()];
    }
}
