using System.Net;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>The real server process with few file descriptors: running out is summarized, not logged per failure.</summary>
public sealed class FileDescriptorLimitTests : IDisposable
{
    private static readonly TimeSpan Bound = TestTimeouts.Condition;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-fd-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task RunningOutOfFileDescriptorsIsSummarizedWithoutStackTracesAndServingResumes()
    {
        // The server keeps its connection cap clear of the limits it reads at start, so the limit is lowered under it
        // afterwards. The runtime itself holds about 70 descriptors; 160 clients cannot all be taken under 128 (each
        // needs a socket, and starting a thread needs descriptors too).
        using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", _directory, "--max-connections", "1000");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound));
        server.LowerFileLimit(128);
        var held = new List<RawClient>();
        try
        {
            for (var index = 0; index < 160; index++)
            {
                held.Add(RawClient.Connect(endPoint));
            }

            Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("Cannot accept new connections", StringComparison.Ordinal), Bound), server.Output);
            Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            held.ForEach(client => client.Dispose());
        }

        // Descriptors free again: the waiting clients are accepted, a new one is served, and the log says so once.
        using var client = RawClient.Connect(endPoint);
        try
        {
            await client.SendAsync(Requests.GetFileListing);
            await client.ExpectAsync(Replies.Listing(), Bound);
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException)
        {
            Assert.Fail($"{exception.Message}; exited: {server.HasExited}; output: {server.Output}");
        }
        Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("Accepting connections again", StringComparison.Ordinal), Bound), server.Output);
        var lines = server.Output.Split('\n');
        Assert.DoesNotContain(lines, line => line.StartsWith("   at ", StringComparison.Ordinal));
        // One line per run of failures (a busy machine may free a descriptor for a moment), never one per failure.
        Assert.InRange(lines.Count(line => line.Contains("Cannot accept new connections", StringComparison.Ordinal)), 1, 3);
    }
}
