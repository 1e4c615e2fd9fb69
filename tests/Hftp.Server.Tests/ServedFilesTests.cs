using System.Diagnostics;
using System.Net.Sockets;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public sealed class ServedFilesTests
{
    [Fact]
    public async Task ListingIsSortedByByteOrderAndLeavesOutNamesClientsCannotAskFor()
    {
        using var server = TestServer.Start();
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
        using var server = TestServer.Start();
        var names = Enumerable.Range(0, 1000).Select(i => $"file{i:D4}.txt").ToList();
        names.ForEach(name => server.WriteFile(name, name));
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\n");

        await client.ExpectAsync("0 OK\r\n" + string.Concat(names.Select(name => name + "\r\n")) + "\r\n");
    }

    [Fact]
    public async Task SubdirectoryIsNeitherListedNorServed()
    {
        using var server = TestServer.Start();
        Directory.CreateDirectory(server.PathOf("sub"));
        server.WriteFile("f", "1");
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata sub\r\nget_slice sub 0 0\r\n");

        await client.ExpectAsync("0 OK\r\nf\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n");
    }

    [Fact]
    public async Task FifoIsNeitherListedNorOpenedAndNeverBlocks()
    {
        using var server = TestServer.Start();
        MakeFifo(server.PathOf("pipe"));
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata pipe\r\nget_slice pipe 0 1\r\n");

        await client.ExpectAsync("0 OK\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task UnixSocketIsNeitherListedNorOpened()
    {
        using var server = TestServer.Start();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(server.PathOf("sock")));
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata sock\r\nget_slice sock 0 0\r\n");

        await client.ExpectAsync("0 OK\r\n\r\n202 FILE NOT FOUND\r\n202 FILE NOT FOUND\r\n", TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SymlinkToAFileInsideIsServed()
    {
        using var server = TestServer.Start();
        server.WriteFile("real", "hello");
        File.CreateSymbolicLink(server.PathOf("alias"), "real");
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata alias\r\nget_slice alias 0 5\r\n");

        await client.ExpectAsync("0 OK\r\nalias\r\nreal\r\n\r\n0 OK\r\n5\r\n0 OK\r\naGVsbG8=\r\n");
    }

    [Fact]
    public async Task SymlinkLeadingOutsideIsNeitherListedNorServed()
    {
        using var server = TestServer.Start();
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
    public async Task MissingDirectoryServesNothingAndWarnsThenServesAgainOnceRecreated()
    {
        using var server = TestServer.Start();
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
        using var server = TestServer.Start();
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
        using var server = TestServer.Start();
        server.WriteFile("f", "content");
        var before = Snapshot(server.Directory);
        using var client = server.Connect();

        await client.SendAsync("get_file_listing\r\nget_metadata f\r\nget_slice f 0 7\r\nget_slice f 3 99\r\nquit\r\n");
        await client.ExpectAsync("0 OK\r\nf\r\n\r\n0 OK\r\n7\r\n0 OK\r\nY29udGVudA==\r\n203 OFFSET EXCEEDS FILE SIZE\r\n0 OK\r\n");

        Assert.Equal(before, Snapshot(server.Directory));
    }

    private static string Snapshot(string directory) => string.Join('|', new DirectoryInfo(directory).EnumerateFileSystemInfos()
        .Select(entry => $"{entry.Name}:{(entry as FileInfo)?.Length}:{entry.LastWriteTimeUtc.Ticks}").Order(StringComparer.Ordinal));

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        Assert.True(mkfifo.WaitForExit(10_000), "mkfifo did not finish");
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
