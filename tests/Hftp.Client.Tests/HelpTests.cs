using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Client.Tests;

/// <summary><c>help</c> (2026) lists the server's commands; a classic server's 200 says it has none, and the connection goes on.</summary>
public sealed class HelpTests
{
    [Fact]
    public async Task RevisedServerListsItsCommands()
    {
        await using var server = InMemoryHftpServer.Revision2026(new Dictionary<string, byte[]>());
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        Assert.Equal(["get_file_listing", "get_metadata", "get_slice", "help", "quit"], await client.GetCommandsAsync());
    }

    [Fact]
    public async Task RealServerListsItsCommands()
    {
        using var server = TestServer.Start();
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        Assert.Equal(Commands.All.Select(Commands.Name), await client.GetCommandsAsync());
    }

    [Fact]
    public async Task ClassicServerHasNoHelpCommandAndTheConnectionGoesOn()
    {
        await using var server = InMemoryHftpServer.Classic(new Dictionary<string, byte[]> { ["f"] = [1, 2, 3] });
        using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var error = await Assert.ThrowsAsync<HftpStatusException>(() => client.GetCommandsAsync());

        Assert.Equal(StatusCode.NoSuchCommand, error.Status);
        Assert.Equal("this server has no help command (classic HFTP: it answered 200 NO SUCH COMMAND)", error.Message);
        Assert.Equal(3, await client.GetSizeAsync("f"));
    }
}
