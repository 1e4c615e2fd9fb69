using Hftp.Protocol;

namespace Hftp.Protocol.Tests;

public sealed class StatusCodesTests
{
    [Theory]
    [InlineData(0, "0 OK\r\n", false)]
    [InlineData(100, "100 BAD EOL\r\n", true)]
    [InlineData(101, "101 BAD REQUEST\r\n", true)]
    [InlineData(199, "199 INTERNAL SERVER ERROR\r\n", true)]
    [InlineData(200, "200 NO SUCH COMMAND\r\n", false)]
    [InlineData(201, "201 INVALID ARGUMENTS FOR COMMAND\r\n", false)]
    [InlineData(202, "202 FILE NOT FOUND\r\n", false)]
    [InlineData(203, "203 OFFSET EXCEEDS FILE SIZE\r\n", false)]
    public void StatusLinesAreExactlyThoseOfTheProtocol(int number, string line, bool fatal)
    {
        Assert.True(StatusCodes.TryParse(number, out var code));

        Assert.Equal(line, System.Text.Encoding.ASCII.GetString(code.StatusLine()));
        Assert.Equal(fatal, code.IsFatal());
    }

    [Fact]
    public void TableHasEightCodes() => Assert.Equal(8, StatusCodes.Values.Count);

    [Fact]
    public void UnknownNumberIsNotAStatus() => Assert.False(StatusCodes.TryParse(150, out _));
}
