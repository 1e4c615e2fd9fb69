using System.Net;
using Hftp.Server;
using Serilog;
using Serilog.Events;

namespace Hftp.Testing;

/// <summary>
/// A real <see cref="HftpServer"/> on 127.0.0.1, port 0, serving a fresh temporary directory. Disposing it
/// stops the server and deletes the directory, so tests run in parallel without sharing ports or files.
/// </summary>
public sealed class TestServer : IDisposable
{
    private TestServer(HftpServer server, string directory, CapturedLog log)
    {
        Server = server;
        Directory = directory;
        Log = log;
    }

    public HftpServer Server { get; }

    /// <summary>The served directory (a temporary directory owned by this instance).</summary>
    public string Directory { get; }

    public CapturedLog Log { get; }

    public int Port => Server.LocalEndPoint.Port;

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>Starts a server that logs at <paramref name="minimumLevel"/> (Debug, every request, unless told), on <paramref name="time"/> (the system's clock unless told).</summary>
    public static TestServer Start(
        Func<ServerOptions, ServerOptions>? configure = null, LogEventLevel minimumLevel = LogEventLevel.Debug, TimeProvider? time = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "hftp-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var options = new ServerOptions { Address = IPAddress.Loopback, Port = 0, Directory = directory };
        options = configure?.Invoke(options) ?? options;
        var log = new CapturedLog();
        var logger = new LoggerConfiguration().MinimumLevel.Is(minimumLevel).WriteTo.Sink(log).CreateLogger();
        var server = new HftpServer(options, logger, time);
        server.Start();
        return new TestServer(server, options.Directory, log);
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public string WriteFile(string name, byte[] content)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>A file of <paramref name="size"/> zero bytes that takes no disk space (sparse).</summary>
    public string WriteSparseFile(string name, long size)
    {
        var path = PathOf(name);
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.SetLength(size);
        return path;
    }

    public string WriteFile(string name, string asciiContent) => WriteFile(name, System.Text.Encoding.ASCII.GetBytes(asciiContent));

    public RawClient Connect() => RawClient.Connect(EndPoint);

    public void Dispose()
    {
        Server.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A test may have removed or replaced the directory itself.
        }
    }
}
