using System.Net;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Server.Tests;

/// <summary>The real server process with a console nobody reads: logging must never stop it.</summary>
public sealed class ConsoleLogTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TestTimeouts.Process;

    private readonly string _directory = Directory.CreateTempSubdirectory("hftp-console-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ServerKeepsServingAndExitsWhileNobodyReadsItsConsole()
    {
        File.WriteAllText(Path.Combine(_directory, "f"), "hello");
        using var server = ServerProcess.StartWithStalledOutput(
            "--port", "0", "--address", "127.0.0.1", "--dir", _directory, "--log-level", "Information");
        var endPoint = new IPEndPoint(IPAddress.Loopback, await server.WaitForPortAsync(ProcessTimeout));

        // Two log lines per connection: 2,000 connections write far more than the pipe's 64 KiB.
        using var deadline = new CancellationTokenSource(TestTimeouts.Load);
        await Parallel.ForAsync(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = deadline.Token }, async (_, _) =>
        {
            using var client = RawClient.Connect(endPoint);
            await client.SendAsync(Requests.GetMetadata("f"));
            await client.ExpectAsync(Replies.Size(5), TestTimeouts.Reply);
        });

        // Nor may the console hold up the exit: the last lines are flushed for a bounded time only.
        server.Terminate();
        Assert.True(server.WaitForExit(TestTimeouts.Process), "the server did not exit after SIGTERM");
        Assert.Equal(0, server.ExitCode);
    }
}
