using System.Text;

namespace Hftp.Protocol.Tests;

public sealed class SharedFileNamesTests
{
    [Fact]
    public void TheSameNameReadTwiceIsTheSameString()
    {
        var first = SharedFileNames.Get("shared-name.txt"u8);
        var second = SharedFileNames.Get(Encoding.ASCII.GetBytes("shared-name.txt"));

        Assert.Equal("shared-name.txt", first);
        Assert.Same(first, second);
    }

    [Fact]
    public void NamesThatShareASlotAreEachReturnedRight()
    {
        // Far more names than slots: every one must still come back as itself, whoever held its slot before.
        for (var index = 0; index < 4 * SharedFileNames.Slots; index++)
        {
            var name = $"name-{index}";
            Assert.Equal(name, SharedFileNames.Get(Encoding.ASCII.GetBytes(name)));
        }
    }
}
