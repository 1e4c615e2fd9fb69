using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public sealed partial class ShutdownTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    // Big enough that a reply cannot fit in the kernel's buffers (4 MiB send, 64 KiB receive here), so it is
    // still under way when the server is told to stop; a multiple of 3, so its base64 is all A.
    private const long SliceSize = 9L * 1024 * 1024;

    private static readonly string Status = StatusCode.Ok.StatusLineText();

    [Fact]
    public async Task StopLetsRepliesUnderWayFinishThenClosesThem()
    {
        const int clientCount = 50;
        using var server = TestServer.Start(options => options with { ShutdownTimeout = Bound });
        server.WriteSparseFile("big", SliceSize);
        var clients = new List<Socket>();
        try
        {
            for (var index = 0; index < clientCount; index++)
            {
                var socket = await ConnectWithSmallWindowAsync(server.EndPoint);
                clients.Add(socket);
                await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(Requests.GetSlice("big", 0, SliceSize)));
            }

            Assert.True(await Eventually.HoldsAsync(() => clients.All(socket => socket.Available > 0), Bound), "not every reply began");
            var stopping = Task.Run(() => server.Server.Stop());
            Assert.True(await Eventually.HoldsAsync(() => !Accepts(server.EndPoint), Bound), "the server kept accepting");

            var received = await Task.WhenAll(clients.Select(ReadToEndAsync));

            Assert.All(received, length => Assert.Equal(Status.Length + Base64Reply.LineLength(SliceSize), length));
            var summary = await stopping.WaitAsync(Bound);
            Assert.Equal(clientCount, summary.FinishedReplies);
            Assert.Equal(0, summary.Cut);
            Assert.True(server.Log.Contains(LogEventLevel.Information, "(ShutdownAfterReply)"));
        }
        finally
        {
            clients.ForEach(socket => socket.Dispose());
        }
    }

    [Fact]
    public async Task ShutdownTimeoutCutsRepliesThatDoNotFinish()
    {
        using var server = TestServer.Start(options => options with { ShutdownTimeout = TimeSpan.FromMilliseconds(300) });
        server.WriteSparseFile("big", SliceSize);
        using var stalled = await ConnectWithSmallWindowAsync(server.EndPoint);
        await stalled.SendAsync(System.Text.Encoding.ASCII.GetBytes(Requests.GetSlice("big", 0, SliceSize)));
        using var idle = server.Connect();
        await idle.SendAsync(Requests.GetFileListing);
        await idle.ExpectAsync(Replies.Listing("big"));
        Assert.True(await Eventually.HoldsAsync(() => stalled.Available > 0, Bound));
        var started = Stopwatch.GetTimestamp();

        var summary = server.Server.Stop();

        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(250), TestTimeouts.Reply);
        Assert.Equal(1, summary.Cut);

        // The idle one had just been answered: if the stop came before its thread went back to waiting, it counts
        // as a finished reply rather than an idle close; either way it is not cut.
        Assert.Equal(1, summary.ClosedIdle + summary.FinishedReplies);
        await idle.ExpectClosedAsync(Bound);
        Assert.Equal(0, server.Server.ActiveConnections);
    }

    [Fact]
    public async Task StopClosesAThousandIdleConnectionsAtOnceAndLogsEveryClose()
    {
        const int clientCount = 1000;
        using var server = TestServer.Start(options => options with { ShutdownTimeout = Bound });
        var clients = new List<RawClient>();
        try
        {
            for (var index = 0; index < clientCount; index++)
            {
                clients.Add(server.Connect());
            }

            Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == clientCount, Bound));
            var started = Stopwatch.GetTimestamp();

            var summary = server.Server.Stop();

            // Idle connections do not wait for the shutdown timeout.
            Assert.True(Stopwatch.GetElapsedTime(started) < Bound, "idle connections waited for the shutdown timeout");
            Assert.Equal(clientCount, summary.ClosedIdle);
            Assert.Equal(0, server.Server.ActiveConnections);
            Assert.Equal(clientCount, server.Log.Events.Count(e => e.MessageTemplate.Text.StartsWith("Closed", StringComparison.Ordinal)));
            await Task.WhenAll(clients.Select(client => client.ExpectClosedAsync(Bound)));
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }

    [Fact]
    public async Task SigtermLetsTransfersFinishAndExitsZeroWithCounts()
    {
        using var directory = new TemporaryDirectory();
        using (var file = File.Create(Path.Combine(directory.Path, "big")))
        {
            file.SetLength(SliceSize);
        }

        using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", directory.Path, "--shutdown-timeout", "30s");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound));
        var busy = new List<Socket>();
        var idle = new List<RawClient>();
        try
        {
            for (var index = 0; index < 5; index++)
            {
                var socket = await ConnectWithSmallWindowAsync(endPoint);
                busy.Add(socket);
                await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(Requests.GetSlice("big", 0, SliceSize)));
                idle.Add(RawClient.Connect(endPoint));
            }

            Assert.True(await Eventually.HoldsAsync(() => busy.All(socket => socket.Available > 0), Bound));
            Assert.True(await Eventually.HoldsAsync(() => CountLines(server.Output, "Connected by") == 10, Bound));
            server.Terminate();
            Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("Shutting down", StringComparison.Ordinal), Bound));

            var received = await Task.WhenAll(busy.Select(ReadToEndAsync));

            Assert.All(received, length => Assert.Equal(Status.Length + Base64Reply.LineLength(SliceSize), length));
            await Task.WhenAll(idle.Select(client => client.ExpectClosedAsync(Bound)));
            Assert.True(server.WaitForExit(Bound), "the server did not exit after SIGTERM");
            Assert.Equal(0, server.ExitCode);
            Assert.Equal(10, CountLines(server.Output, "Closed "));
            // From outside, a reply that the client finished reading in the instant between "Shutting down" and the
            // drain counts as idle; the in-process test checks the split exactly.
            var stopped = StoppedLine().Match(server.Output);
            Assert.True(stopped.Success, server.Output);
            Assert.Equal(10, int.Parse(stopped.Groups[1].Value, CultureInfo.InvariantCulture) + int.Parse(stopped.Groups[2].Value, CultureInfo.InvariantCulture));
        }
        finally
        {
            busy.ForEach(socket => socket.Dispose());
            idle.ForEach(client => client.Dispose());
        }
    }

    [GeneratedRegex(@"Stopped: (\d+) replies finished, (\d+) idle closed, 0 cut")]
    private static partial Regex StoppedLine();

    private static int CountLines(string output, string fragment) =>
        output.Split('\n').Count(line => line.Contains(fragment, StringComparison.Ordinal));

    private static bool Accepts(IPEndPoint endPoint)
    {
        try
        {
            using var probe = RawClient.Connect(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<Socket> ConnectWithSmallWindowAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    // Reads a whole reply to the zero-filled slice, checking every byte, then a clean end of stream (a reset
    // fails the test); returns its length.
    private static async Task<long> ReadToEndAsync(Socket socket)
    {
        var expectedLength = Status.Length + Base64Reply.LineLength(SliceSize);
        using var timeout = new CancellationTokenSource(Bound);
        var buffer = new byte[256 * 1024];
        long total = 0;
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                return total;
            }

            var chunk = buffer.AsSpan(0, read);
            var bodyStart = (int)Math.Clamp(Status.Length - total, 0, read);
            var bodyEnd = (int)Math.Clamp(expectedLength - 2 - total, bodyStart, read);
            for (var index = 0; index < bodyStart; index++)
            {
                Assert.Equal((byte)Status[(int)total + index], chunk[index]);
            }

            Assert.Equal(-1, chunk[bodyStart..bodyEnd].IndexOfAnyExcept((byte)'A'));
            for (var index = bodyEnd; index < read; index++)
            {
                var position = total + index;
                Assert.True(position < expectedLength, "more bytes than the reply has");
                Assert.Equal(position == expectedLength - 2 ? (byte)'\r' : (byte)'\n', chunk[index]);
            }

            total += read;
        }
    }

    private sealed class TemporaryDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("hftp-shutdown-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
