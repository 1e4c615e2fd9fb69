using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

[CollectionDefinition(nameof(ConnectionScratchTests), DisableParallelization = true)]
public sealed class ConnectionScratchTestsRunAlone;

/// <summary>
/// A connection thread lends its buffers, reader and recent name to each connection it runs, so a client served by
/// a reused thread allocates little; and nothing of one client's requests reaches the next. Measures the process's
/// allocations, so it runs alone.
/// </summary>
[Collection(nameof(ConnectionScratchTests))]
public sealed class ConnectionScratchTests
{
    [Fact]
    public void AClientServedByAReusedThreadAllocatesLittle()
    {
        using var server = TestServer.Start(minimumLevel: LogEventLevel.Warning);
        server.WriteFile("f", "12345");
        var visit = Encoding.ASCII.GetBytes(Requests.GetMetadata("f") + Requests.Quit);
        var expected = Encoding.ASCII.GetBytes(Replies.Size(5) + StatusCode.Ok.StatusLineText());
        var reply = new byte[expected.Length + 1];

        void Visit(int times)
        {
            for (var index = 0; index < times; index++)
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(server.EndPoint);
                socket.Send(visit);

                // Until the server closes after quit: its thread is then done with this client.
                int received = 0, count;
                while ((count = socket.Receive(reply.AsSpan(received))) > 0)
                {
                    received += count;
                }

                if (!reply.AsSpan(0, received).SequenceEqual(expected))
                {
                    Assert.Fail(Encoding.ASCII.GetString(reply, 0, received));
                }
            }
        }

        // The warm-up also starts the spare threads and makes their scratch.
        var perClient = Allocations.PerRepetition(Visit, warmUp: 300, measured: 1_000);

        // Both ends count: this process is also the client. About 2.4 KB; with a receive buffer, reader, reply buffer
        // and recent name made for every connection, 8.6 KB.
        Assert.True(perClient < 4_000, $"{perClient:0} bytes allocated per client");
    }

    [Fact]
    public async Task NothingOfOneClientsRequestsReachesTheNext()
    {
        using var server = TestServer.Start(options => options with { MinSpareThreads = 0, MaxSpareThreads = 1 });
        server.WriteFile("f", "12345");
        for (var turn = 0; turn < 3; turn++)
        {
            // An unfinished line, then gone: the next client on the same thread starts from a clean reader.
            using (var leaving = server.Connect())
            {
                await leaving.SendAsync(Requests.GetMetadata("f"));
                await leaving.ExpectAsync(Replies.Size(5));
                await leaving.SendAsync("get_metadata f");
            }

            // The one thread kept is idle again: the next client gets it, and its scratch.
            Assert.True(await Eventually.HoldsAsync(
                () => server.Server.ActiveConnections == 0 && server.Server.ThreadsIdle == 1, TestTimeouts.Condition));
            var threadsStarted = server.Server.ThreadsStarted;
            using var next = server.Connect();
            var nextClient = next.Socket.LocalEndPoint!.ToString()!;
            await next.SendAsync("\r\n");
            await next.ExpectAsync(StatusCode.BadRequest.StatusLineText());
            await next.ExpectClosedAsync();
            Assert.Equal(threadsStarted, server.Server.ThreadsStarted);

            // The thread's reply writer starts each client from nothing sent: its closing line counts its own reply only.
            Assert.True(await Eventually.HoldsAsync(() => ClosingLineOf(server, nextClient) is not null, TestTimeouts.Condition));
            Assert.Equal(StatusCode.BadRequest.StatusLineText().Length.ToString(CultureInfo.InvariantCulture),
                ClosingLineOf(server, nextClient)!.Properties["BytesSent"].ToString());
        }
    }

    private static LogEvent? ClosingLineOf(TestServer server, string client) => server.Log.Events.FirstOrDefault(e =>
        e.MessageTemplate.Text.StartsWith("Closed", StringComparison.Ordinal) && e.Properties["Remote"].ToString().Trim('"') == client);
}
