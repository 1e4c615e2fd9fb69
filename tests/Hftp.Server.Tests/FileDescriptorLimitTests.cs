using System.Net;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>The real server process with few file descriptors: running out is summarized, not logged per failure.</summary>
public sealed class FileDescriptorLimitTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-fd-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task AFewFileDescriptorsCapTheServerBelowThemWithoutStackTracesAndServingGoesOn()
    {
        // The runtime itself holds about 70 descriptors; 160 clients cannot all be taken under 128. The cap derived
        // from that limit (a configured one above it is lowered to it) keeps the server clear of running out: the
        // clients wait in the listen backlog instead, and each is served once the ones before it leave.
        using var server = ServerProcess.StartWithFileLimit(
            128, "--port", "0", "--address", "127.0.0.1", "--dir", _directory, "--max-connections", "1000");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(Bound));
        var held = new List<RawClient>();
        try
        {
            for (var index = 0; index < 160; index++)
            {
                held.Add(RawClient.Connect(endPoint));
            }

            Assert.True(await Eventually.HoldsAsync(() => server.Output.Contains("At the connection cap", StringComparison.Ordinal), Bound), server.Output);
            Assert.Contains("more than the limits allow", server.Output, StringComparison.Ordinal);
        }
        finally
        {
            held.ForEach(client => client.Dispose());
        }

        using var client = RawClient.Connect(endPoint);
        await client.SendAsync("get_file_listing\r\n");
        await client.ExpectAsync("0 OK\r\n\r\n", Bound);
        var lines = server.Output.Split('\n');
        Assert.DoesNotContain(lines, line => line.StartsWith("   at ", StringComparison.Ordinal));
        // Should descriptors still run out (other processes' files, say), AcceptFailureReportTests covers the summary.
        Assert.InRange(lines.Count(line => line.Contains("Cannot accept new connections", StringComparison.Ordinal)), 0, 3);
    }
}
