using System.Globalization;
using Hftp.Testing;

namespace Hftp.Benchmark.Tests;

public sealed class SoakLoadTests
{
    [Fact]
    public async Task SoakGetsOnlyRightRepliesAndTheServerReturnsToItsBaseline()
    {
        var directory = FixtureDirectory();
        try
        {
            // No idle threads kept beyond the spares started ahead of demand: otherwise threads freed by the load wait
            // 60 s for later connections, by design, and the baseline check would take them for a leak.
            using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", directory, "--log-level", "Information",
                "--max-spare-threads", Text(new Hftp.Server.ServerOptions().MinSpareThreads));
            var port = await server.WaitForPortAsync(TestTimeouts.Process);

            var run = BenchmarkRun.Of("soak", "--port", Text(port), "--dir", directory, "--clients", "4", "--seconds", "2",
                "--seed", "8", "--server-pid", Text(server.Id));

            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Equal("0", run.Result["wrong"]);
            Assert.Equal("0", run.Result["errors"]);
            Assert.Equal("8", run.Result["seed"]);
            Assert.Equal("yes", run.Result["settled"]);
            foreach (var kind in new[] { "listing", "metadata", "slice", "unknown_command", "bad_arguments", "missing_file", "out_of_range", "pipelined", "byte_at_a_time", "fatal", "quit" })
            {
                Assert.True(run.Count(kind) > 0, $"no {kind} exchange in {run.Output}");
            }

            Assert.True(run.Count("requests") > run.Count("pipelined"), run.Output);
            Assert.True(run.Count("connections") > run.Count("fatal") + run.Count("quit"), "every close is followed by a new connection");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void SoakCountsWrongBase64AndFails()
    {
        using var server = TestServer.Start();
        WriteFixtureFiles(server.Directory);
        // Base64 is full of 'q'; no status line, file name or size in these replies has one.
        using var proxy = new TamperingProxy(server.EndPoint, alterReplyByte: value => value == (byte)'q' ? (byte)'r' : value);

        var run = BenchmarkRun.Of("soak", "--port", Text(proxy.Port), "--dir", server.Directory, "--clients", "2", "--seconds", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.True(run.Count("wrong") > 0, run.Output);
        Assert.True(run.Output.Contains("differs: expected", StringComparison.Ordinal), run.Output);
        Assert.True(run.Output.Contains("wrong: Slice \"get_slice", StringComparison.Ordinal), run.Output);
    }

    [Fact]
    public async Task SoakFailsWhenTheServerKeepsThreadsAndFilesOpenAfterIt()
    {
        var directory = FixtureDirectory();
        var held = new List<RawClient>();
        try
        {
            // No idle threads kept beyond the spares started ahead of demand: otherwise threads freed by the load wait
            // 60 s for later connections, by design, and the baseline check would take them for a leak.
            using var server = ServerProcess.Start("--port", "0", "--address", "127.0.0.1", "--dir", directory, "--log-level", "Information",
                "--max-spare-threads", Text(new Hftp.Server.ServerOptions().MinSpareThreads));
            var port = await server.WaitForPortAsync(TestTimeouts.Process);
            using var output = new LineWatcher("soak: 2 clients");

            var soak = Task.Run(() => BenchmarkRun.Of(output, "soak", "--port", Text(port), "--dir", directory, "--clients", "2", "--seconds", "3",
                "--server-pid", Text(server.Id), "--settle-seconds", "1", "--tolerance", "4"));
            // The soak prints its first line once its baseline is taken; connections opened after that and kept
            // open past its end look, to it, like a server that leaks a thread and a socket per connection.
            Assert.True(output.Seen.Wait(TestTimeouts.Condition), output.ToString());
            for (var index = 0; index < 12; index++)
            {
                held.Add(RawClient.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)));
            }

            var run = await soak;

            Assert.Equal(1, run.ExitCode);
            Assert.Equal("0", run.Result["wrong"]);
            Assert.Equal("no", run.Result["settled"]);
            Assert.True(run.Count("server_threads_end") >= run.Count("server_threads_start") + 10, run.Output);
            Assert.True(run.Count("server_fds_end") >= run.Count("server_fds_start") + 10, run.Output);
        }
        finally
        {
            held.ForEach(client => client.Dispose());
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string FixtureDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "hftp-soak-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        WriteFixtureFiles(directory);
        return directory;
    }

    private static void WriteFixtureFiles(string directory)
    {
        var random = new byte[70_001];
        new Random(3).NextBytes(random);
        File.WriteAllBytes(Path.Combine(directory, "random.bin"), random);
        File.WriteAllText(Path.Combine(directory, "archivo.txt"), "!Que calor que hace hoy, pinta una birra!");
        File.WriteAllBytes(Path.Combine(directory, "empty.bin"), []);
        File.WriteAllBytes(Path.Combine(directory, "one.bin"), [0xFF]);
    }
}
