using System.Net;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>
/// Files and entries the server may not read. The server runs as its own process as an unprivileged user (nobody,
/// when the tests run as root), because permissions do not stop root from reading anything.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServedFilePermissionTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private const UnixFileMode Open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-permissions-").FullName;

    public ServedFilePermissionTests() => File.SetUnixFileMode(_directory, Open);

    public void Dispose()
    {
        File.SetUnixFileMode(_directory, Open);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task FileTheServerCannotOpenIsNeitherListedNorServedAndTheConnectionGoesOn()
    {
        File.WriteAllText(Path.Combine(_directory, "readable"), "hi");
        var secret = Path.Combine(_directory, "secret");
        File.WriteAllText(secret, "no");
        File.SetUnixFileMode(secret, UnixFileMode.None);
        using var server = ServerProcess.StartUnprivileged("--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound)));

        await client.SendAsync("get_file_listing\r\nget_metadata secret\r\nget_slice secret 0 1\r\nget_slice readable 0 2\r\n");

        await client.ExpectAsync("0 OK\r\nreadable\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n0 OK\r\naGk=\r\n");
    }

    [Fact]
    public async Task EntriesThatCannotBeStatedAreLeftOutOfTheListingAndLoggedOnceEach()
    {
        File.WriteAllText(Path.Combine(_directory, "first"), "1");
        File.WriteAllText(Path.Combine(_directory, "second"), "2");

        // Readable but not searchable: the server reads the names, but stat on each entry fails (EACCES).
        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead);
        using var server = ServerProcess.StartUnprivileged("--port", "0", "--address", "127.0.0.1", "--dir", _directory);
        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound)));

        await client.SendAsync("get_file_listing\r\nget_file_listing\r\n");

        await client.ExpectAsync("0 OK\r\n\r\n0 OK\r\n\r\n");
        foreach (var name in new[] { "first", "second" })
        {
            var line = $"Leaving {name} out of the listing: Permission denied";
            Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains(line, StringComparison.Ordinal), Bound), server.Output);
            Assert.Single(server.Output.Split('\n'), output => output.Contains(line, StringComparison.Ordinal));
        }
    }
}
