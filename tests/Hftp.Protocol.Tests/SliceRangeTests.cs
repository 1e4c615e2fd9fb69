using Hftp.Protocol;

namespace Hftp.Protocol.Tests;

public sealed class SliceRangeTests
{
    [Theory]
    [InlineData(0UL, 0UL, 0L)]
    [InlineData(0UL, 41UL, 41L)]
    [InlineData(5UL, 20UL, 41L)]
    [InlineData(41UL, 0UL, 41L)]
    [InlineData(40UL, 1UL, 41L)]
    [InlineData(0UL, (ulong)long.MaxValue, long.MaxValue)]
    public void RangeInsideTheFileFits(ulong offset, ulong size, long fileLength)
    {
        var range = new SliceRange(offset, size);

        Assert.True(range.FitsIn(fileLength));
        Assert.Equal(StatusCode.Ok, range.StatusFor(fileLength));
    }

    [Theory]
    [InlineData(30UL, 20UL, 41L)]
    [InlineData(42UL, 0UL, 41L)]
    [InlineData(41UL, 1UL, 41L)]
    [InlineData(0UL, 1UL, 0L)]
    [InlineData(1UL, 0UL, 0L)]
    [InlineData(0UL, 42UL, 41L)]
    public void RangePastTheEndIs203(ulong offset, ulong size, long fileLength)
    {
        var range = new SliceRange(offset, size);

        Assert.False(range.FitsIn(fileLength));
        Assert.Equal(StatusCode.OffsetExceedsFileSize, range.StatusFor(fileLength));
    }

    [Theory]
    [InlineData(ulong.MaxValue, 0UL)]
    [InlineData(ulong.MaxValue, ulong.MaxValue)]
    [InlineData(1UL, ulong.MaxValue)]
    [InlineData(ulong.MaxValue, 1UL)]
    [InlineData((ulong)long.MaxValue, (ulong)long.MaxValue)]
    public void RangeWhoseEndOverflowsSixtyFourBitsIs203(ulong offset, ulong size)
    {
        // OFFSET + SIZE would wrap around in unsigned arithmetic; the rule must not.
        Assert.Equal(StatusCode.OffsetExceedsFileSize, new SliceRange(offset, size).StatusFor(long.MaxValue));
    }

    [Fact]
    public void NegativeFileLengthIsAServerBug()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SliceRange(0, 0).FitsIn(-1));
    }
}
