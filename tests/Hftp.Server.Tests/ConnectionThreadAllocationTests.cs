using Hftp.Protocol;
using Hftp.Server.Networking;
using Hftp.Server.Threads;
using Hftp.Testing;
using Microsoft.Extensions.Time.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>
/// On a connection thread, any allocation after a collection takes a fresh allocation context (8 KB of the young
/// generation's budget); with 10,000 threads alive, such allocations set off collections that stop them all. So a
/// reused thread allocates nothing of its own: not to go idle and be woken, not to serve a client (at Warning, asking
/// about the file its previous client asked about); and a new thread allocates nothing to answer a client asking about
/// a file another asked about. Observed on the thread itself, through the time provider the server calls there.
/// </summary>
public sealed class ConnectionThreadAllocationTests
{
    [Fact]
    public async Task APoolThreadAllocatesNothingToGoIdleAndBeWokenAgain()
    {
        using var pool = new SpareThreadPool<object>(0, 4, TimeSpan.FromSeconds(60), 256 * 1024, new FakeTimeProvider(), () => new object());
        pool.Start();
        const int turns = 6;
        var (startOfWork, endOfWork) = (new long[turns], new long[turns]);
        for (var turn = 0; turn < turns; turn++)
        {
            using var done = new ManualResetEventSlim();
            var index = turn;
            Assert.True(pool.TryRun(_ => () =>
            {
                startOfWork[index] = GC.GetAllocatedBytesForCurrentThread();
                done.Set();
                endOfWork[index] = GC.GetAllocatedBytesForCurrentThread();
            }));
            Assert.True(done.Wait(TestTimeouts.Condition));
            Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 1, TestTimeouts.Condition));
        }

        // From the end of one work to the start of the next: going idle, waiting, being handed work. The first wait
        // of a thread may set things up; those after it must not allocate.
        Assert.Equal(1, pool.Started);
        Assert.Equal(endOfWork[2..^1], startOfWork[3..]);
    }

    [Fact]
    public async Task AReusedConnectionThreadAllocatesNothingToServeAClient()
    {
        var time = new AllocationRecordingClock();
        using var server = TestServer.Start(
            options => options with { MinSpareThreads = 0, MaxSpareThreads = 1 }, LogEventLevel.Warning, time);
        server.WriteFile("f", "12345");
        for (var client = 0; client < 8; client++)
        {
            using (var connection = server.Connect())
            {
                await connection.SendAsync(Requests.GetMetadata("f") + Requests.Help + "nonsense\r\n" + Requests.Quit);
                await connection.ExpectAsync(
                    Replies.Size(5) + Replies.Help() + StatusCode.NoSuchCommand.StatusLineText() + StatusCode.Ok.StatusLineText());
                await connection.ExpectClosedAsync();
            }

            Assert.True(await Eventually.HoldsAsync(() => server.Server.ThreadsIdle == 1, TestTimeouts.Condition));
        }

        // The thread that read the clock most is the connection thread (one thread served all 8); from its reading in
        // the third client on, what it allocated stays the same: receive, answer, send, close, wait, wake.
        Assert.Equal(1, server.Server.ThreadsStarted);
        var allocated = time.ByBusiestThread();
        var fromThirdClient = allocated.Skip(allocated.Count * 2 / 8).ToList();
        Assert.True(fromThirdClient.Distinct().Count() == 1, $"allocated on the connection thread: {string.Join(", ", fromThirdClient)}");
    }

    [Fact]
    public async Task ANewConnectionThreadAllocatesNothingToAnswerAboutAFileAskedAboutBefore()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the clock tells connection threads by their system name (prctl), on Linux only
        }

        var time = new AllocationRecordingClock();
        using var server = TestServer.Start(
            options => options with { MinSpareThreads = 0, MaxSpareThreads = 1 }, LogEventLevel.Warning, time);
        server.WriteFile("f", "12345");
        using (var first = server.Connect())
        {
            await first.SendAsync(Requests.GetMetadata("f"));
            await first.ExpectAsync(Replies.Size(5));
        }

        // Six clients at once, so at least five on threads started for them. Each waits for the one before it to be
        // back waiting for a request, its reply buffer returned: the pool then always has one to lend.
        var start = time.Count;
        var clients = new List<RawClient>();
        try
        {
            for (var index = 0; index < 6; index++)
            {
                var client = server.Connect();
                clients.Add(client);
                await client.SendAsync(Requests.GetMetadata("f") + Requests.GetMetadata("f"));
                await client.ExpectAsync(Replies.Size(5) + Replies.Size(5));
                var waiting = index + 1;
                Assert.True(await Eventually.HoldsAsync(() => server.Server.ConnectionsWaiting(Wait.NextRequest) == waiting, TestTimeouts.Condition));
            }
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }

        var threads = time.ConnectionThreadsFirstSeenAfter(start);
        Assert.True(threads.Count >= 5, $"{threads.Count} new connection threads read the clock");
        Assert.All(threads.Values, allocated => Assert.True(allocated.All(bytes => bytes == 0), $"allocated on a new connection thread: {string.Join(", ", allocated)}"));
    }
}
