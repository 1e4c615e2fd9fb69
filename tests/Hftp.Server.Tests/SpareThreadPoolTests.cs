using Hftp.Protocol;
using Hftp.Server.Threads;
using Hftp.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// Connection threads in Apache's model: spares started ahead, threads reused, those beyond the maximum ended at once,
/// those beyond the minimum ended after the idle time. Time is a <see cref="FakeTimeProvider"/>: nothing here waits it out.
/// </summary>
public sealed class SpareThreadPoolTests
{
    private static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StartStartsTheMinimumOfSpareThreads()
    {
        using var pool = new SpareThreadPool<object>(minSpare: 3, maxSpare: 8, IdleTime, 256 * 1024, new FakeTimeProvider(), () => new object());
        pool.Start();

        Assert.True(await Eventually.HoldsAsync(() => pool.Alive == 3 && pool.Idle == 3, TestTimeouts.Condition), Describe(pool));
        Assert.Equal(3, pool.Started);
    }

    [Fact]
    public async Task AThreadDoneWithItsWorkIsReusedWithItsStateForTheNext()
    {
        using var pool = new SpareThreadPool<object>(minSpare: 0, maxSpare: 4, IdleTime, 256 * 1024, new FakeTimeProvider(), () => new object());
        pool.Start();
        var threadIds = new HashSet<int>();
        var states = new HashSet<object>(ReferenceEqualityComparer.Instance);
        for (var turn = 0; turn < 20; turn++)
        {
            using var done = new ManualResetEventSlim();
            Assert.True(pool.TryRun(state => () =>
            {
                lock (threadIds)
                {
                    threadIds.Add(Environment.CurrentManagedThreadId);
                    states.Add(state);
                }

                done.Set();
            }));
            Assert.True(done.Wait(TestTimeouts.Condition));
            Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 1, TestTimeouts.Condition), Describe(pool));
        }

        Assert.Single(threadIds);
        Assert.Single(states);
        Assert.Equal(1, pool.Started);
    }

    [Fact]
    public async Task ThreadsBeyondTheMaximumWaitAsSurplusReusedFirstAndEndTenEveryTenMilliseconds()
    {
        var time = new FakeTimeProvider();
        using var pool = new SpareThreadPool<object>(minSpare: 0, maxSpare: 2, IdleTime, 256 * 1024, time, () => new object());
        pool.Start();
        using var gate = new ManualResetEventSlim();
        var states = new System.Collections.Concurrent.ConcurrentBag<object>();
        for (var index = 0; index < 25; index++)
        {
            Assert.True(pool.TryRun(state =>
            {
                // The state is lent here, on the caller's thread, for the work it makes.
                states.Add(state);
                return () => gate.Wait();
            }));
        }

        Assert.Equal(25, pool.Alive);

        // Each thread lends its own state: no two works at once share one.
        Assert.Equal(25, states.Distinct(ReferenceEqualityComparer.Instance).Count());
        gate.Set();
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 25 && pool.Surplus == 23, TestTimeouts.Condition), Describe(pool));

        // A surplus thread serves the next work, so fewer are left to end.
        using var done = new ManualResetEventSlim();
        Assert.True(pool.TryRun(_ => done.Set));
        Assert.True(done.Wait(TestTimeouts.Condition));
        Assert.Equal(25, pool.Started);

        // The clock ends them, ten a tick: 23 surplus again once that work is done, then 13, 3, none.
        Assert.True(await Eventually.HoldsAsync(() => pool.Surplus == 23, TestTimeouts.Condition), Describe(pool));
        foreach (var left in new[] { 13, 3, 0 })
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            Assert.True(await Eventually.HoldsAsync(() => pool.Surplus == left && pool.Alive == left + 2, TestTimeouts.Condition), Describe(pool));
        }
    }

    [Fact]
    public async Task AThreadGoingSurplusAllocatesNothing()
    {
        // A slowloris shed sends thousands of threads to the surplus at once; any allocation there takes each a fresh
        // allocation context, and the collections that sets off stop every thread (SpareThreadPool, _surplus).
        const int threads = 200;
        using var pool = new SpareThreadPool<long[]>(minSpare: 0, maxSpare: 2, IdleTime, 256 * 1024, new FakeTimeProvider(), () => [-1, -1]);
        pool.Start();

        // A first round arms the timer that ends surplus threads (the fake clock allocates to arm it), unmeasured.
        await RunAllAsync(pool, threads, first: _ => { }, last: _ => { });

        // Each work's last act: the thread's own state keeps what it had allocated; each next work's first: what since.
        await RunAllAsync(pool, threads, first: _ => { }, last: state => state[0] = GC.GetAllocatedBytesForCurrentThread());
        var states = await RunAllAsync(pool, threads, first: state => state[1] = GC.GetAllocatedBytesForCurrentThread(), last: _ => { });

        // A thread back just as the idle list filled may end instead (its successor has no reading): not measured.
        var reused = states.Where(state => state[0] >= 0).ToList();
        Assert.True(reused.Count >= threads * 9 / 10, $"only {reused.Count} of {threads} threads went surplus and served again");
        var allocated = reused.Select(state => state[1] - state[0]).Where(bytes => bytes != 0).ToList();
        Assert.True(allocated.Count == 0, $"{allocated.Count} threads allocated between two works: {string.Join(", ", allocated)} bytes");
    }

    // Runs count works at once, each on its own thread, then lets them all return to the pool; their threads' states.
    private static async Task<List<long[]>> RunAllAsync(SpareThreadPool<long[]> pool, int count, Action<long[]> first, Action<long[]> last)
    {
        using var gate = new ManualResetEventSlim();
        var states = new List<long[]>();
        for (var index = 0; index < count; index++)
        {
            Assert.True(pool.TryRun(state =>
            {
                states.Add(state);
                return () =>
                {
                    first(state);
                    gate.Wait();
                    last(state);
                };
            }));
        }

        gate.Set();
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == pool.Alive, TestTimeouts.Condition), $"idle {pool.Idle}, alive {pool.Alive}");
        return states;
    }

    [Fact]
    public async Task IdleThreadsBeyondTheMinimumEndOnceIdleForTheIdleTime()
    {
        var time = new FakeTimeProvider();
        using var pool = new SpareThreadPool<object>(minSpare: 1, maxSpare: 3, IdleTime, 256 * 1024, time, () => new object());
        pool.Start();
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 1, TestTimeouts.Condition), Describe(pool));
        using var gate = new ManualResetEventSlim();
        Assert.True(pool.TryRun(_ => () => gate.Wait()));
        Assert.True(pool.TryRun(_ => () => gate.Wait()));
        Assert.True(pool.TryRun(_ => () => gate.Wait()));
        Assert.True(pool.TryRun(_ => () => gate.Wait()));

        // The four, and the spares the keeper started meanwhile (a burst: a client took the last one), all idle; those
        // past the maximum of three end on the clock, the rest stay until the idle time has passed.
        gate.Set();
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == pool.Alive, TestTimeouts.Condition), Describe(pool));
        time.Advance(IdleTime - TimeSpan.FromSeconds(1));
        Assert.True(await Eventually.HoldsAsync(() => pool.Surplus == 0 && pool.Idle == 3 && pool.Alive == 3, TestTimeouts.Condition), Describe(pool));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await Eventually.HoldsAsync(() => pool.Alive == 1 && pool.Idle == 1, TestTimeouts.Condition), Describe(pool));
    }

    [Fact]
    public async Task SparesTakenByClientsAreReplacedAtOnceWithoutWaitingForTheTimer()
    {
        var time = new FakeTimeProvider();
        using var pool = new SpareThreadPool<object>(minSpare: 2, maxSpare: 10, IdleTime, 256 * 1024, time, () => new object());
        pool.Start();
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 2, TestTimeouts.Condition), Describe(pool));
        using var gate = new ManualResetEventSlim();
        Assert.True(pool.TryRun(_ => () => gate.Wait()));

        // The fake clock never moves: only the spare keeper can have started this one.
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 2 && pool.Alive == 3, TestTimeouts.Condition), Describe(pool));
        Assert.Equal(3, pool.Started);

        // Done waiting before the gate is disposed, which would fail the wait on the pool's thread.
        gate.Set();
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 3, TestTimeouts.Condition), Describe(pool));
    }

    [Fact]
    public async Task ABurstKeepsMoreSparesForTheIdleTimeButNoMoreThreadsThanTheCap()
    {
        var time = new FakeTimeProvider();
        using var pool = new SpareThreadPool<object>(minSpare: 1, maxSpare: 10, IdleTime, 256 * 1024, time, () => new object(), maxThreads: 5);
        pool.Start();
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 1, TestTimeouts.Condition), Describe(pool));

        // Taking the last idle thread is a burst: the keeper keeps the burst spares (10 - 1) started instead of one,
        // but starts no more threads than the cap of five.
        using var gate = new ManualResetEventSlim();
        Assert.True(pool.TryRun(_ => () => gate.Wait()));
        Assert.Equal(9, pool.BurstSpare);
        Assert.True(await Eventually.HoldsAsync(() => pool.Alive == 5 && pool.Idle == 4, TestTimeouts.Condition), Describe(pool));

        // Once the idle time since the burst passed, spares beyond the minimum end and are not replaced.
        gate.Set();
        Assert.True(await Eventually.HoldsAsync(() => pool.Idle == 5, TestTimeouts.Condition), Describe(pool));
        time.Advance(IdleTime);
        Assert.True(await Eventually.HoldsAsync(() => pool.Alive == 1 && pool.Idle == 1, TestTimeouts.Condition), Describe(pool));
    }

    [Fact]
    public async Task StopEndsIdleThreadsAndBusyOnesWhenTheirWorkEnds()
    {
        using var pool = new SpareThreadPool<object>(minSpare: 4, maxSpare: 8, IdleTime, 256 * 1024, new FakeTimeProvider(), () => new object());
        pool.Start();
        using var gate = new ManualResetEventSlim();
        Assert.True(pool.TryRun(_ => () => gate.Wait()));
        pool.Stop();
        Assert.True(await Eventually.HoldsAsync(() => pool.Alive == 1, TestTimeouts.Condition), Describe(pool));

        gate.Set();
        Assert.True(await Eventually.HoldsAsync(() => pool.Alive == 0, TestTimeouts.Condition), Describe(pool));
    }

    [Fact]
    public async Task SequentialClientsOfAServerAreServedByReusedThreads()
    {
        using var server = TestServer.Start(options => options with { MinSpareThreads = 1, MaxSpareThreads = 2 });
        server.WriteFile("f", "x");
        for (var turn = 0; turn < 30; turn++)
        {
            using (var client = server.Connect())
            {
                await client.SendAsync(Requests.GetMetadata("f") + Requests.Quit);
                await client.ExpectAsync(Replies.Size(1) + StatusCode.Ok.StatusLineText());
                await client.ExpectClosedAsync(TestTimeouts.Condition);
            }

            // Closed by the client too, so the server's linger ends at once rather than after the linger time.
            Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, TestTimeouts.Condition));
        }

        Assert.InRange(server.Server.ThreadsStarted, 1, 3);
    }

    [Fact]
    public async Task AfterABurstOfConnectionsOnlyTheSpareMaximumOfThreadsStaysAlive()
    {
        const int burst = 200;
        using var server = TestServer.Start(options => options with { MinSpareThreads = 2, MaxSpareThreads = 8 });
        var clients = Enumerable.Range(0, burst).Select(_ => server.Connect()).ToList();
        try
        {
            await Task.WhenAll(clients.Select(async client =>
            {
                await client.SendAsync(Requests.Help);
                await client.ExpectAsync(StatusCode.Ok.StatusLineText());
            }));
            Assert.True(server.Server.ThreadsAlive >= burst, $"{server.Server.ThreadsAlive} threads for {burst} clients");
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }

        // Each thread's stack goes back to the system as its thread ends.
        Assert.True(
            await Eventually.HoldsAsync(() => server.Server.ThreadsAlive == 8 && server.Server.ActiveConnections == 0, TestTimeouts.Condition),
            $"{server.Server.ThreadsAlive} threads alive");
    }

    private static string Describe(SpareThreadPool<object> pool) => $"alive {pool.Alive}, idle {pool.Idle}, surplus {pool.Surplus}, started {pool.Started}";
}

/// <summary>The tests' shorthand: take a thread, make its work with its state, run it there.</summary>
internal static class SpareThreadPoolTestExtensions
{
    public static bool TryRun<TState>(this SpareThreadPool<TState> pool, Func<TState, Action> prepare)
        where TState : class
    {
        var thread = pool.TryTake();
        thread?.Run(static work => ((Action)work!)(), prepare(thread.State));
        return thread is not null;
    }
}
