using Hftp.Server.Networking;

namespace Hftp.Server.Tests;

public sealed class ReplyBufferPoolTests
{
    [Fact]
    public void KeepsAtMostItsLimitAndDropsTheRestForTheCollector()
    {
        var pool = new ReplyBufferPool(bufferSize: 1024, maxRetained: 4);
        var burst = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();
        Assert.Equal(10, burst.Distinct().Count());

        burst.ForEach(pool.Return);

        Assert.Equal(6 * 1024, pool.DroppedBytes);
        var reused = Enumerable.Range(0, 4).Select(_ => pool.Rent()).ToList();
        Assert.All(reused, buffer => Assert.Contains(burst, kept => ReferenceEquals(kept, buffer)));
        var fresh = pool.Rent();
        Assert.DoesNotContain(burst, kept => ReferenceEquals(kept, fresh));
    }

    [Fact]
    public void ThreadsRentingAtOnceNeverShareABuffer()
    {
        // Lock-free: each buffer is held by one renter at a time, however many threads rent and return together.
        var pool = new ReplyBufferPool(bufferSize: 64, maxRetained: 8);
        var shared = 0;
        var threads = Enumerable.Range(1, 8).Select(id => new Thread(() =>
        {
            for (var round = 0; round < 20_000; round++)
            {
                var buffer = pool.Rent();
                buffer[0] = (byte)id;
                Thread.Yield();
                if (buffer[0] != id)
                {
                    Interlocked.Increment(ref shared);
                }

                pool.Return(buffer);
            }
        })).ToList();

        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());

        Assert.Equal(0, shared);
    }
}
