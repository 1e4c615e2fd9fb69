using System.Diagnostics;
using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public sealed class ServedFilesTests
{

    private static TestServer StartServer() => TestServer.Start();

    [Fact]
    public async Task ListingIsSortedByByteOrderAndLeavesOutNamesClientsCannotAskFor()
    {
        using var server = StartServer();
        foreach (var name in new[] { "b", "a", "B", "_x", "0", "a-b.c", "with space", "eñe", "tab\tname" })
        {
            server.WriteFile(name, "x");
        }

        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing("0", "B", "_x", "a", "a-b.c", "b"));
    }

    [Fact]
    public async Task ThousandFileListingIsComplete()
    {
        using var server = StartServer();
        var names = Enumerable.Range(0, 1000).Select(i => $"file{i:D4}.txt").ToList();
        names.ForEach(name => server.WriteFile(name, name));
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing);

        await client.ExpectAsync(Replies.Listing(names));
    }

    [Fact]
    public async Task SubdirectoryIsNeitherListedNorServed()
    {
        using var server = StartServer();
        Directory.CreateDirectory(server.PathOf("sub"));
        server.WriteFile("f", "1");
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("sub") + Requests.GetSlice("sub", 0, 0));

        await client.ExpectAsync(Replies.Listing("f") + StatusCode.FileNotFound.StatusLineText() + StatusCode.FileNotFound.StatusLineText());
    }

    [Fact]
    public async Task FifoIsNeitherListedNorOpenedAndNeverBlocks()
    {
        using var server = StartServer();
        MakeFifo(server.PathOf("pipe"));
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("pipe") + Requests.GetSlice("pipe", 0, 1));

        await client.ExpectAsync(Replies.Listing() + StatusCode.FileNotFound.StatusLineText() + StatusCode.FileNotFound.StatusLineText(), TestTimeouts.Reply);
    }

    [Fact]
    public async Task UnixSocketIsNeitherListedNorOpened()
    {
        using var server = StartServer();
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(server.PathOf("sock")));
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("sock") + Requests.GetSlice("sock", 0, 0));

        await client.ExpectAsync(Replies.Listing() + StatusCode.FileNotFound.StatusLineText() + StatusCode.FileNotFound.StatusLineText(), TestTimeouts.Reply);
    }

    [Fact]
    public async Task SymlinkToAFileInsideIsServed()
    {
        using var server = StartServer();
        server.WriteFile("real", "hello");
        File.CreateSymbolicLink(server.PathOf("alias"), "real");
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("alias") + Requests.GetSlice("alias", 0, 5));

        await client.ExpectAsync(Replies.Listing("alias", "real") + Replies.Size(5) + Replies.Base64Slice("aGVsbG8="));
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
                Requests.GetFileListing + Requests.GetMetadata("escape") + Requests.GetSlice("escape", 0, 6) + Requests.GetSlice("relative", 0, 6) + Requests.GetMetadata("dangling"));

            await client.ExpectAsync(Replies.Listing() + string.Concat(Enumerable.Repeat(StatusCode.FileNotFound.StatusLineText(), 4)));
        }
        finally
        {
            File.Delete(outside);
        }
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

        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("self") + Requests.GetSlice("ping", 0, 1) + Requests.GetMetadata("pong"));

        await client.ExpectAsync(Replies.Listing("f") + string.Concat(Enumerable.Repeat(StatusCode.FileNotFound.StatusLineText(), 3)), TestTimeouts.Reply);
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
                new ServerOptions { Address = System.Net.IPAddress.Loopback, Port = 0, Directory = root }, Serilog.Core.Logger.None);
            server.Start();
            using var client = RawClient.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, server.LocalEndPoint.Port));

            await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("escape") + Requests.GetSlice("escape", 0, 6) + Requests.GetSlice("back", 0, 6));

            await client.ExpectAsync(Replies.Listing("back", "inside") + StatusCode.FileNotFound.StatusLineText() + StatusCode.FileNotFound.StatusLineText() + Replies.Base64Slice("aW5zaWRl"));
        }
        finally
        {
            Directory.Delete(baseDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task DeviceNodeIsNeverReadButLooksLikeAnEmptyFile()
    {
        Assert.True(ServerProcess.RunningAsRoot, "this test needs root, to create a device node (mknod)");
        using var server = StartServer();
        RunToCompletion("mknod", server.PathOf("zero"), "c", "1", "5"); // /dev/zero: endless bytes if it were ever read
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("zero") + Requests.GetSlice("zero", 0, 1));

        // .NET reports no file type on Unix, and a device opened without blocking seeks like a file: it looks like an
        // empty file (docs/deploying.md, Platforms). Its bytes are never read.
        var expected = Replies.Listing("zero") + Replies.Size(0) + StatusCode.OffsetExceedsFileSize.StatusLineText();
        await client.ExpectAsync(expected, TestTimeouts.Reply);
    }

    [Fact]
    public async Task MissingDirectoryServesNothingAndWarnsThenServesAgainOnceRecreated()
    {
        using var server = StartServer();
        Directory.Delete(server.Directory);

        using (var client = server.Connect())
        {
            await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("f") + Requests.GetSlice("f", 0, 1));
            await client.ExpectAsync(Replies.Listing() + StatusCode.FileNotFound.StatusLineText() + StatusCode.FileNotFound.StatusLineText());
        }

        Assert.True(server.Log.Contains(LogEventLevel.Warning, "does not exist"));
        Directory.CreateDirectory(server.Directory);
        server.WriteFile("f", "back");

        using var nextClient = server.Connect();
        await nextClient.SendAsync(Requests.GetFileListing + Requests.GetSlice("f", 0, 4));
        await nextClient.ExpectAsync(Replies.Listing("f") + Replies.Base64Slice("YmFjaw=="));
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

            await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata($"round{round}"));

            await client.ExpectAsync(Replies.Listing($"round{round}") + Replies.Size(round + 1));
        }
    }

    [Fact]
    public async Task ServingNeverModifiesTheDirectory()
    {
        using var server = StartServer();
        server.WriteFile("f", "content");
        var before = Snapshot(server.Directory);
        using var client = server.Connect();

        await client.SendAsync(Requests.GetFileListing + Requests.GetMetadata("f") + Requests.GetSlice("f", 0, 7) + Requests.GetSlice("f", 3, 99) + Requests.Quit);
        await client.ExpectAsync(Replies.Listing("f") + Replies.Size(7) + Replies.Base64Slice("Y29udGVudA==") + StatusCode.OffsetExceedsFileSize.StatusLineText() + StatusCode.Ok.StatusLineText());

        Assert.Equal(before, Snapshot(server.Directory));
    }

    private static string Snapshot(string directory) => string.Join('|', new DirectoryInfo(directory).EnumerateFileSystemInfos()
        .Select(entry => $"{entry.Name}:{(entry as FileInfo)?.Length}:{entry.LastWriteTimeUtc.Ticks}").Order(StringComparer.Ordinal));

    private static void MakeFifo(string path) => RunToCompletion("mkfifo", path);

    private static void RunToCompletion(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false })!;
        Assert.True(process.WaitForExit(TestTimeouts.Process), $"{program} did not finish");
        Assert.Equal(0, process.ExitCode);
    }
}
