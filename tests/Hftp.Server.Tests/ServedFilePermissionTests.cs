using System.Net;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// Files and entries the server may not read. The server runs as its own process as an unprivileged user (nobody,
/// when the tests run as root), because permissions do not stop root from reading anything.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServedFilePermissionTests : IDisposable
{

    private static ServerProcess StartServer(params string[] arguments) =>
        ServerProcess.StartUnprivileged(new Dictionary<string, string>(), arguments);

    private static readonly TimeSpan Bound = TestTimeouts.Process;

    private const UnixFileMode Open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-permissions-").FullName;

    public ServedFilePermissionTests() => File.SetUnixFileMode(_directory, Open);

    public void Dispose()
    {
        File.SetUnixFileMode(_directory, Open);
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task FileTheServerMayNotReadIsListedAndSizedButItsSliceIs199AndCloses()
    {
        File.WriteAllText(Path.Combine(_directory, "readable"), "hi");
        var secret = Path.Combine(_directory, "secret");
        File.WriteAllText(secret, "no");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead);
        using var server = StartServer("--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound)));

        // Owned by root and readable by its owner only: the unprivileged server's open fails with EACCES.
        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("secret") + Requests.GetSlice("secret", 0, 1) + Requests.GetSlice("readable", 0, 2));

        await client.ExpectAsync(Replies.Listing("readable", "secret") + Replies.Size(2) + StatusCode.InternalServerError.StatusLineText());
        await client.ExpectClosedAsync(Bound);
    }

    [Fact]
    public async Task FileOfModeZeroIsListedAndSizedButItsRawSliceIs199AndCloses()
    {
        var secret = Path.Combine(_directory, "secret");
        File.WriteAllText(secret, "no");
        File.SetUnixFileMode(secret, UnixFileMode.None);
        using var server = StartServer("--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound)));

        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("secret") + Requests.GetRawSlice("secret", 0, 1));

        await client.ExpectAsync(Replies.Listing("secret") + Replies.Size(2) + StatusCode.InternalServerError.StatusLineText());
        await client.ExpectClosedAsync(Bound);
    }

    [Fact]
    public async Task EntriesThatCannotBeStatedAreLeftOutOfTheListingAndLoggedOnceEach()
    {
        File.WriteAllText(Path.Combine(_directory, "first"), "1");
        File.WriteAllText(Path.Combine(_directory, "second"), "2");

        // Readable but not searchable: the server reads the names, but stat on each entry fails (EACCES).
        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead);
        using var server = StartServer("--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound)));

        await client.SendAsync(Requests.GetFileListing + Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing() + Replies.Listing());
        foreach (var name in new[] { "first", "second" })
        {
            var line = $"Leaving {name} out of the listing: Permission denied";
            Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains(line, StringComparison.Ordinal), Bound), server.Output);
            Assert.Single(server.Output.Split('\n'), output => output.Contains(line, StringComparison.Ordinal));
        }
    }
}
