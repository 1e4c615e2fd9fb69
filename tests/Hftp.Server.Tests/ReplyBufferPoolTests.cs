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
}
