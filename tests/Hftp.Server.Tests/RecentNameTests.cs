using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>
/// A connection asking about the name it asked about last reuses that name's text and FileInfo: it allocates nothing
/// for it, and still sees every change made to the file in between.
/// </summary>
public sealed class RecentNameTests
{
    [Fact]
    public void AskingAgainAboutTheSameFileAllocatesNothing()
    {
        var time = new AllocationRecordingClock();
        using var server = TestServer.Start(minimumLevel: LogEventLevel.Warning, time: time);
        server.WriteFile("polled.bin", new byte[1234]);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(server.EndPoint);
        var request = Encoding.ASCII.GetBytes(Requests.GetMetadata("polled.bin"));
        var expected = Encoding.ASCII.GetBytes(Replies.Size(1234));
        var reply = new byte[expected.Length];
        const int requests = 2_000;
        for (var index = 0; index < requests; index++)
        {
            socket.Send(request);
            var received = 0;
            while (received < reply.Length)
            {
                var count = socket.Receive(reply.AsSpan(received));
                Assert.True(count > 0, "the server closed the connection");
                received += count;
            }

            if (!reply.AsSpan().SequenceEqual(expected))
            {
                Assert.Fail(Encoding.ASCII.GetString(reply));
            }
        }

        // On the connection thread (the one that read the clock most, a few times a request), past the first quarter
        // (JIT, tiering, the first examination's objects): what it had allocated stays the same from request to request.
        // Without RecentName: about 420 bytes a request (name text, path, FileInfo).
        var allocated = time.ByBusiestThread();
        Assert.True(allocated.Count >= requests, $"{allocated.Count} clock readings on the busiest thread");
        var lastThreeQuarters = allocated.Skip(allocated.Count / 4).ToList();
        Assert.True(lastThreeQuarters[^1] == lastThreeQuarters[0],
            $"{(lastThreeQuarters[^1] - lastThreeQuarters[0]) / (requests * 3 / 4.0):0.0} bytes allocated per request on the connection thread");
    }

    [Fact]
    public async Task TheSameNameStillSeesTheFileChangeBetweenRequests()
    {
        using var server = TestServer.Start();
        var outside = Path.Combine(Path.GetTempPath(), "hftp-outside-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(outside, "outside the served directory");
        try
        {
            server.WriteFile("inside", "12");
            server.WriteFile("f", "x");
            using var client = server.Connect();
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(1));

            // Replaced by a link to a file outside: no longer served.
            File.Delete(server.PathOf("f"));
            File.CreateSymbolicLink(server.PathOf("f"), outside);
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText());
            await client.SendAsync(Requests.GetSlice("f", 0, 1));
            await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText());

            // A link to a file inside: served as its target.
            File.Delete(server.PathOf("f"));
            File.CreateSymbolicLink(server.PathOf("f"), server.PathOf("inside"));
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(2));
            await client.SendAsync(Requests.GetSlice("f", 0, 2));
            await client.ExpectAsync(Replies.Slice("12"u8));

            // A directory of that name: not served; then a regular file again.
            File.Delete(server.PathOf("f"));
            Directory.CreateDirectory(server.PathOf("f"));
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(StatusCode.FileNotFound.StatusLineText());
            Directory.Delete(server.PathOf("f"));
            server.WriteFile("f", "12345");
            await client.SendAsync(Requests.GetMetadata("f") + Requests.GetSlice("f", 1, 3));
            await client.ExpectAsync(Replies.Size(5) + Replies.Slice("234"u8));
        }
        finally
        {
            File.Delete(outside);
        }
    }
}
