using System.Diagnostics;
using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Server.Networking;
using Hftp.Testing;
using Microsoft.Extensions.Time.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public sealed class TimeoutTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Reply;

    [Fact]
    public async Task IdleClientIsClosedAfterTheIdleTimeoutCountedFromItsLastReply()
    {
        var time = new FakeTimeProvider();
        var idle = TimeSpan.FromMinutes(5);
        using var server = TestServer.Start(options => options with { IdleTimeout = idle }, time: time);
        server.WriteFile("f", "x");
        using var client = server.Connect();

        // Each pause is under the idle timeout, all of them together well over it.
        for (var request = 0; request < 4; request++)
        {
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(1));

            // The reply can arrive before its send call returned: the clock moves once the thread waits again.
            Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionsWaiting(Wait.NextRequest) == 1, Bound));
            time.Advance(idle - TimeSpan.FromSeconds(10));
        }

        Assert.Equal(1, server.Server.ActiveConnections);
        Assert.False(server.Log.Contains(LogEventLevel.Warning, "idle"));

        // The last reply was idle - 10 s ago: 10 s more and a heartbeat close it. The warning first: a failure then
        // says whether the server never timed the client out or did and the close did not arrive.
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Warning, "idle"), Bound),
            $"no idle timeout at {time.GetUtcNow():HH:mm:ss.fff}; the connection waits for {WaitsOf(server)}");
        await client.ExpectClosedAsync(Bound);
        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Information, "(IdleTimeout)"), Bound));
    }

    [Fact]
    public async Task SlowlorisIsClosedByTheRequestTimeoutWhileAFreshClientIsServed()
    {
        var time = new FakeTimeProvider();
        var requestTimeout = TimeSpan.FromSeconds(60);
        using var server = TestServer.Start(options => options with { RequestTimeout = requestTimeout }, time: time);
        server.WriteFile("f", "x");
        using var slow = server.Connect();

        // A byte every (fake) second: far inside any per-read timeout, yet the line never ends. The line's time starts
        // when the server has its first byte.
        var line = "get_metadata " + new string('x', 200);
        await slow.SendAsync(line[..1]);
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionsWaiting(Wait.RestOfLine) == 1, Bound));
        for (var second = 1; second < requestTimeout.TotalSeconds; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await slow.SendAsync(line[second].ToString());
        }

        Assert.False(server.Log.Contains(LogEventLevel.Information, "(RequestTimeout)"), "cut before the request timeout");

        // A beat that finds the thread between two receives (still handling the last byte) passes it by; the next beat
        // finds it waiting, past its deadline. So up to two beats more, once the thread is waiting again.
        for (var beat = 0; beat < 3 && !server.Log.Contains(LogEventLevel.Information, "(RequestTimeout)"); beat++)
        {
            Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionsWaiting(Wait.RestOfLine) == 1
                || server.Log.Contains(LogEventLevel.Information, "(RequestTimeout)"), Bound));
            time.Advance(TimeSpan.FromSeconds(1));
            await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Information, "(RequestTimeout)"), TimeSpan.FromSeconds(1));
        }

        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Information, "(RequestTimeout)"), Bound));
        Assert.True(server.Log.Contains(LogEventLevel.Warning, "request line"));

        using var fresh = server.Connect();
        await fresh.SendAsync(Requests.GetMetadata("f"));
        await fresh.ExpectAsync(Replies.Size(1));
    }

    [Fact]
    public async Task RequestTimeoutDoesNotCutALineSentByteByByteInTime()
    {
        var requestTimeout = TimeSpan.FromSeconds(3);
        using var server = TestServer.Start(options => options with { RequestTimeout = requestTimeout });
        server.WriteFile("f", "x");
        using var client = server.Connect();
        var started = Stopwatch.GetTimestamp();

        // Four lines, each spread over a third of the deadline, so together they outlast it: the deadline restarts
        // with each line. Each byte goes at its time in the line's schedule rather than after a fixed pause, so a
        // pause stretched by a busy machine is made up by the next bytes instead of adding up past the deadline.
        var lineTime = requestTimeout / 3;
        for (var line = 0; line < 4; line++)
        {
            var request = Requests.GetMetadata("f");
            var lineStarted = Stopwatch.GetTimestamp();
            for (var index = 0; index < request.Length; index++)
            {
                var due = lineTime * index / request.Length - Stopwatch.GetElapsedTime(lineStarted);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }

                await client.SendAsync(request[index].ToString());
            }

            await client.ExpectAsync(Replies.Size(1));
        }

        Assert.True(Stopwatch.GetElapsedTime(started) > requestTimeout, "the lines together did not outlast the deadline");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientThatReadsNothingOfABigSliceIsClosedByTheSendTimeout(bool raw)
    {
        var time = new FakeTimeProvider();
        var sendTimeout = TimeSpan.FromSeconds(60);
        using var server = TestServer.Start(options => options with { SendTimeout = sendTimeout }, time: time);
        const long size = 64L * 1024 * 1024;
        server.WriteSparseFile("big", size);

        // A small receive window, so the reply fills both kernel buffers quickly and the server's send stalls.
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(server.EndPoint);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(raw ? Requests.GetRawSlice("big", 0, size) : Requests.GetSlice("big", 0, size)));

        // Nothing is read: the clock moves a second at a time until the server gives the reply up. A send that still
        // moved bytes restarts the minute, so it can come later than a minute after the first send, never sooner.
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionsWaiting(Wait.Send) == 1, Bound));
        var waited = TimeSpan.Zero;
        while (!server.Log.Contains(LogEventLevel.Information, "(SendTimeout)") && waited < 10 * sendTimeout)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            waited += TimeSpan.FromSeconds(1);
            await Task.Delay(10);
        }

        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Information, "(SendTimeout)"), Bound),
            "the stalled reply was never given up");
        Assert.InRange(waited, sendTimeout, 10 * sendTimeout);
        Assert.True(server.Log.Contains(LogEventLevel.Warning, "reads nothing"));
        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, Bound));

        // A reset, not an orderly close (operating.md): the reply the kernel still held is dropped, and the client,
        // reading at last, gets what had reached it and then the reset, never an end of stream it could take for the whole.
        var reset = await Assert.ThrowsAsync<SocketException>(() => ReadToEndAsync(socket));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }

    // A raw slice goes out with sendfile(2), blocked and woken by the kernel rather than polled: the same rule holds.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientReadingSlowlyButSteadilyIsNotCutByTheSendTimeout(bool raw)
    {
        var sendTimeout = TimeSpan.FromSeconds(raw ? 1 : 2);
        using var server = TestServer.Start(options => options with { SendTimeout = sendTimeout });
        const long size = 16L * 1024 * 1024;
        server.WriteSparseFile("big", size);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
        await socket.ConnectAsync(server.EndPoint);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(raw ? Requests.GetRawSlice("big", 0, size) : Requests.GetSlice("big", 0, size)));

        // A few KiB every 20 ms (its window is small) for four send timeouts: the client reads all along, but far too
        // slowly for the server's kernel send queue (megabytes on loopback) to drain by half, where a blocked send moves.
        var buffer = new byte[16 * 1024];
        var started = Stopwatch.GetTimestamp();
        long received = 0;
        while (Stopwatch.GetElapsedTime(started) < sendTimeout * 4)
        {
            received += await ReceiveOrFailAsync(socket, buffer, received);
            await Task.Delay(20);
        }

        // Then everything else at full speed: the reply is whole, not a byte lost or repeated around the stalls.
        var expected = raw
            ? Replies.RawSliceHeader(size).Length + size
            : StatusCode.Ok.StatusLineText().Length + (size + 2) / 3 * 4 + Syntax.LineTerminatorText.Length;
        while (received < expected)
        {
            received += await ReceiveOrFailAsync(socket, buffer, received);
        }

        Assert.Equal(expected, received);
        Assert.False(server.Log.Contains(LogEventLevel.Information, "(SendTimeout)"), "a steady reader was cut by the send timeout");
    }

    private static async Task<int> ReceiveOrFailAsync(Socket socket, byte[] buffer, long receivedSoFar)
    {
        try
        {
            var count = await socket.ReceiveAsync(buffer);
            Assert.True(count > 0, $"the server closed the connection after {receivedSoFar} bytes");
            return count;
        }
        catch (SocketException exception)
        {
            Assert.Fail($"the server dropped the connection after {receivedSoFar} bytes: {exception.SocketErrorCode}");
            throw;
        }
    }

    // Reads until the end of the stream, within the bound; throws what the socket throws.
    private static async Task ReadToEndAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(Bound);
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
        {
        }
    }

    private static string WaitsOf(TestServer server) => string.Join(", ",
        Enum.GetValues<Wait>().Select(wait => $"{wait}: {server.Server.ConnectionsWaiting(wait)}"));
}
