using System.Globalization;
using Hftp.Server;
using Hftp.Testing;

namespace Hftp.Benchmark.Tests;

/// <summary>
/// What a load test aims at: a real server on port 0 serving one file, reached directly or, once
/// <see cref="Tampered"/>, through a <see cref="TamperingProxy"/> in front of it. The loads are told the port and the
/// file: hftp-benchmark by its name, hftp-load by its local copy. Disposing it stops the proxy, then the server.
/// </summary>
internal sealed class LoadTarget : IDisposable
{
    private readonly TestServer _server;
    private TamperingProxy? _proxy;

    private LoadTarget(TestServer server, string fileName, string localPath)
    {
        _server = server;
        FileName = fileName;
        LocalPath = localPath;
    }

    public HftpServer Server => _server.Server;

    public string FileName { get; }

    /// <summary>The served file's path, which hftp-load reads as its local copy.</summary>
    public string LocalPath { get; }

    /// <summary>The port a load connects to: the proxy's once there is one, else the server's.</summary>
    public string Port => (_proxy?.Port ?? _server.Port).ToString(CultureInfo.InvariantCulture);

    public static LoadTarget Serving(string fileName, byte[] content)
    {
        var server = TestServer.Start();
        return new LoadTarget(server, fileName, server.WriteFile(fileName, content));
    }

    public static LoadTarget Serving(string fileName, string asciiContent)
    {
        var server = TestServer.Start();
        return new LoadTarget(server, fileName, server.WriteFile(fileName, asciiContent));
    }

    /// <summary>From now on the loads connect through a proxy that misbehaves as told (see <see cref="TamperingProxy"/>).</summary>
    public LoadTarget Tampered(Func<byte, byte>? alterReplyByte = null, int closeAfterBytesWithoutLineEnd = 0)
    {
        try
        {
            _proxy = new TamperingProxy(_server.EndPoint, alterReplyByte, closeAfterBytesWithoutLineEnd);
            return this;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>hftp-benchmark MODE --port PORT -f FILE, then <paramref name="args"/>.</summary>
    public BenchmarkRun RunBenchmark(string mode, params string[] args) => BenchmarkRun.Of([mode, "--port", Port, "-f", FileName, .. args]);

    /// <summary>hftp-load MODE --port PORT --local PATH, then <paramref name="args"/>.</summary>
    public IndependentLoad RunIndependentLoad(string mode, params string[] args) => IndependentLoad.Run([mode, "--port", Port, "--local", LocalPath, .. args]);

    public void Dispose()
    {
        _proxy?.Dispose();
        _server.Dispose();
    }
}
