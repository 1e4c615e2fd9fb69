using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>Which file back end the real executable picks: by platform, or as HFTP_FILE_BACKEND says.</summary>
public sealed class FileBackEndSelectionTests
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    [Theory]
    [InlineData("", "Linux")]
    [InlineData("portable", "Portable")]
    [InlineData("PORTABLE", "Portable")]
    [InlineData("linux", "Linux")]
    public async Task EnvironmentVariableChoosesTheBackEndAndLinuxIsTheDefaultOnLinux(string setting, string expected)
    {
        using var server = ServerProcess.Start(
            new Dictionary<string, string> { ["HFTP_FILE_BACKEND"] = setting }, "--port", "0", "--address", "127.0.0.1", "--log-level", "Debug");
        await server.WaitForPortAsync(Bound);

        Assert.Contains($"Files are examined and opened by the {expected} back end", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownBackEndIsWarnedAboutAndTheDefaultIsUsed()
    {
        using var server = ServerProcess.Start(
            new Dictionary<string, string> { ["HFTP_FILE_BACKEND"] = "fat32" }, "--port", "0", "--address", "127.0.0.1", "--log-level", "Debug");
        await server.WaitForPortAsync(Bound);

        Assert.Contains("Ignoring HFTP_FILE_BACKEND=fat32: it is neither linux nor portable", server.Output, StringComparison.Ordinal);
        Assert.Contains("Files are examined and opened by the Linux back end", server.Output, StringComparison.Ordinal);
    }
}
