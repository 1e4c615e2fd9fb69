using System.Diagnostics;
using System.Net.Sockets;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public abstract class ServedFilesTests
{
    /// <summary>The file back end under test; each concrete subclass runs every test here against one.</summary>
    protected abstract FileBackEnd BackEnd { get; }

    private TestServer StartServer() => TestServer.Start(options => options with { FileBackEnd = BackEnd });

    [Fact]
    public async Task ListingIsSortedByByteOrderAndLeavesOutNamesClientsCannotAskFor()
    {
        using var server = StartServer();
        foreach (var name in new[] { "b", "a", "B", "_x", "0", "a-b.c", "with space", "eñe", "tab\tname" })
        {
            server.WriteFile(name, "x");
        }

        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\n");

        await client.ExpectAsync("0 OK\r\n0\r\nB\r\n_x\r\na\r\na-b.c\r\nb\r\n\r\n");
    }

    [Fact]
    public async Task ThousandFileListingIsComplete()
    {
        using var server = StartServer();
        var names = Enumerable.Range(0, 1000).Select(i => $"file{i:D4}.txt").ToList();
        names.ForEach(name => server.WriteFile(name, name));
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\n");

        await client.ExpectAsync("0 OK\r\n" + string.Concat(names.Select(name => name + "\r\n")) + "\r\n");
    }

    [Fact]
    public async Task SubdirectoryIsNeitherListedNorServed()
    {
        using var server = StartServer();
        Directory.CreateDirectory(server.PathOf("sub"));
        server.WriteFile("f", "1");
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata sub\r\nget_slice sub 0 0\r\n");

        await client.ExpectAsync("0 OK\r\nf\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n");
    }

    [Fact]
    public async Task FifoIsNeitherListedNorOpenedAndNeverBlocks()
    {
        using var server = StartServer();
        MakeFifo(server.PathOf("pipe"));
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata pipe\r\nget_slice pipe 0 1\r\n");

        await client.ExpectAsync("0 OK\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task UnixSocketIsNeitherListedNorOpened()
    {
        using var server = StartServer();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(server.PathOf("sock")));
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata sock\r\nget_slice sock 0 0\r\n");

        await client.ExpectAsync("0 OK\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SymlinkToAFileInsideIsServed()
    {
        using var server = StartServer();
        server.WriteFile("real", "hello");
        File.CreateSymbolicLink(server.PathOf("alias"), "real");
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata alias\r\nget_slice alias 0 5\r\n");

        await client.ExpectAsync("0 OK\r\nalias\r\nreal\r\n\r\n0 OK\r\n5\r\n0 OK\r\naGVsbG8=\r\n");
    }

    [Fact]
    public async Task SymlinkLeadingOutsideIsNeitherListedNorServed()
    {
        using var server = StartServer();
        var outside = Path.Combine(Path.GetTempPath(), "hftp-outside-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(outside, "secret");
        try
        {
            File.CreateSymbolicLink(server.PathOf("escape"), outside);
            File.CreateSymbolicLink(server.PathOf("relative"), Path.Combine("..", Path.GetFileName(outside)));
            File.CreateSymbolicLink(server.PathOf("dangling"), "nowhere");
            using var client = server.Connect();

            await client.SendAsync(
                "get_file_listing\r\nget_metadata escape\r\nget_slice escape 0 6\r\nget_slice relative 0 6\r\nget_metadata dangling\r\n");

            await client.ExpectAsync("0 OK\r\n\r\n" + string.Concat(Enumerable.Repeat("202 FILE NOT FOUND\r\n", 4)));
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public void ServerUsesTheBackEndUnderTest()
    {
        using var server = StartServer();

        Assert.True(server.Log.Contains(LogEventLevel.Debug, $"by the {BackEnd} back end"), "the back end in use is not the one under test");
    }

    [Fact]
    public async Task SymlinkLoopsAreNeitherListedNorServedAndNeverSpin()
    {
        using var server = StartServer();
        File.CreateSymbolicLink(server.PathOf("self"), "self");
        File.CreateSymbolicLink(server.PathOf("ping"), "pong");
        File.CreateSymbolicLink(server.PathOf("pong"), "ping");
        server.WriteFile("f", "1");
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata self\r\nget_slice ping 0 1\r\nget_metadata pong\r\n");

        await client.ExpectAsync("0 OK\r\nf\r\n\r\n" + string.Concat(Enumerable.Repeat("202 FILE NOT FOUND\r\n", 3)), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task DotDotInALinkIsThePhysicalParentWhenTheServedDirectoryIsReachedThroughALink()
    {
        // base/served is reached as base/via/link. A link inside it reading "../x" means base/x, as the kernel
        // resolves it, not base/via/x as the text would suggest: the first is outside, the second would look inside.
        var baseDirectory = Directory.CreateTempSubdirectory("hftp-physical-").FullName;
        try
        {
            var served = Directory.CreateDirectory(Path.Combine(baseDirectory, "served")).FullName;
            Directory.CreateDirectory(Path.Combine(baseDirectory, "via"));
            var root = Path.Combine(baseDirectory, "via", "link");
            Directory.CreateSymbolicLink(root, served);
            Directory.CreateDirectory(Path.Combine(baseDirectory, "link"));
            File.WriteAllText(Path.Combine(baseDirectory, "link", "secret"), "secret");
            File.WriteAllText(Path.Combine(served, "inside"), "inside");
            File.CreateSymbolicLink(Path.Combine(served, "escape"), "../link/secret");
            File.CreateSymbolicLink(Path.Combine(served, "back"), "../served/inside");
            using var server = new HftpServer(
                new ServerOptions { Address = System.Net.IPAddress.Loopback, Port = 0, Directory = root, FileBackEnd = BackEnd }, Serilog.Core.Logger.None);
            server.Start();
            using var client = RawClient.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.LocalEndPoint.Port));

            await client.SendAsync("get_file_listing\r\nget_metadata escape\r\nget_slice escape 0 6\r\nget_slice back 0 6\r\n");

            await client.ExpectAsync("0 OK\r\nback\r\ninside\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n0 OK\r\naW5zaWRl\r\n");
        }
        finally
        {
            Directory.Delete(baseDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task DeviceNodeIsNeverReadAndOnlyTheLinuxBackEndCanTellItFromAnEmptyFile()
    {
        Assert.True(ServerProcess.RunningAsRoot, "this test needs root, to create a device node (mknod)");
        using var server = StartServer();
        RunToCompletion("mknod", server.PathOf("zero"), "c", "1", "5"); // /dev/zero: endless bytes if it were ever read
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata zero\r\nget_slice zero 0 1\r\n");

        // .NET reports no file type on Unix, and a device opened without blocking seeks like a file: the portable
        // back end sees an empty file (README, Platforms). Either way its bytes are never read.
        var expected = BackEnd == FileBackEnd.Linux
            ? "0 OK\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n"
            : "0 OK\r\nzero\r\n\r\n0 OK\r\n0\r\n203 OFFSET EXCEEDS FILE SIZE\r\n";
        await client.ExpectAsync(expected, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task MissingDirectoryServesNothingAndWarnsThenServesAgainOnceRecreated()
    {
        using var server = StartServer();
        Directory.Delete(server.Directory);

        using (var client = server.Connect())
        {
            await client.SendAsync("get_file_listing\r\nget_metadata f\r\nget_slice f 0 1\r\n");
            await client.ExpectAsync("0 OK\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n");
        }

        Assert.True(server.Log.Contains(LogEventLevel.Warning, "does not exist"));
        Directory.CreateDirectory(server.Directory);
        server.WriteFile("f", "back");

        using var nextClient = server.Connect();
        await nextClient.SendAsync("get_file_listing\r\nget_slice f 0 4\r\n");
        await nextClient.ExpectAsync("0 OK\r\nf\r\n\r\n0 OK\r\nYmFjaw==\r\n");
    }

    [Fact]
    public async Task DirectoryDeletedAndRecreatedBetweenConnectionsServesTheNewFiles()
    {
        using var server = StartServer();
        for (var round = 0; round < 3; round++)
        {
            Directory.Delete(server.Directory, recursive: true);
            Directory.CreateDirectory(server.Directory);
            server.WriteFile($"round{round}", new string('r', round + 1));
            using var client = server.Connect();

            await client.SendAsync($"get_file_listing\r\nget_metadata round{round}\r\n");

            await client.ExpectAsync($"0 OK\r\nround{round}\r\n\r\n0 OK\r\n{round + 1}\r\n");
        }
    }

    [Fact]
    public async Task ServingNeverModifiesTheDirectory()
    {
        using var server = StartServer();
        server.WriteFile("f", "content");
        var before = Snapshot(server.Directory);
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata f\r\nget_slice f 0 7\r\nget_slice f 3 99\r\nquit\r\n");
        await client.ExpectAsync("0 OK\r\nf\r\n\r\n0 OK\r\n7\r\n0 OK\r\nY29udGVudA==\r\n203 OFFSET EXCEEDS FILE SIZE\r\n0 OK\r\n");

        Assert.Equal(before, Snapshot(server.Directory));
    }

    private static string Snapshot(string directory) => string.Join('|', new DirectoryInfo(directory).EnumerateFileSystemInfos()
        .Select(entry => $"{entry.Name}:{(entry as FileInfo)?.Length}:{entry.LastWriteTimeUtc.Ticks}").Order(StringComparer.Ordinal));

    private static void MakeFifo(string path) => RunToCompletion("mkfifo", path);

    private static void RunToCompletion(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false })!;
        Assert.True(process.WaitForExit(10_000), $"{program} did not finish");
        Assert.Equal(0, process.ExitCode);
    }
}

public sealed class LinuxBackEndServedFilesTests : ServedFilesTests
{
    protected override FileBackEnd BackEnd => FileBackEnd.Linux;
}

public sealed class PortableBackEndServedFilesTests : ServedFilesTests
{
    protected override FileBackEnd BackEnd => FileBackEnd.Portable;
}
