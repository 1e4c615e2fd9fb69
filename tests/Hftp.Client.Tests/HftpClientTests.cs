using System.Net;
using System.Net.Sockets;
using Hftp.Client;
using Hftp.Protocol;
using Hftp.Testing;

namespace Hftp.Client.Tests;

public sealed class HftpClientTests
{
    [Fact]
    public async Task ListsSizesAndSlices()
    {
        using var server = TestServer.Start();
        server.WriteFile("archivo.txt", "!Que calor que hace hoy, pinta una birra!");
        server.WriteFile("b.bin", [0, 1, 2, 0, 255]);
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        Assert.Equal(["archivo.txt", "b.bin"], await client.ListFilesAsync());
        Assert.Equal(41, await client.GetSizeAsync("archivo.txt"));
        using var slice = new MemoryStream();
        await client.ReadSliceAsync("archivo.txt", 5, 20, slice);
        Assert.Equal("calor que hace hoy, "u8.ToArray(), slice.ToArray());
        using var binary = new MemoryStream();
        await client.ReadSliceAsync("b.bin", 0, 5, binary);
        Assert.Equal([0, 1, 2, 0, 255], binary.ToArray());
    }

    [Fact]
    public async Task ConnectsByNameAndOverIPv6()
    {
        using var server = TestServer.Start(options => options with { Address = IPAddress.IPv6Any });
        server.WriteFile("f", "x");

        await using var byName = await HftpClient.ConnectAsync("localhost", server.Port);
        Assert.Equal(1, await byName.GetSizeAsync("f"));
        await using var byIPv6 = await HftpClient.ConnectAsync("::1", server.Port);
        Assert.Equal(1, await byIPv6.GetSizeAsync("f"));
    }

    [Fact]
    public async Task ErrorStatusesBecomeTypedExceptionsAndTheConnectionGoesOn()
    {
        using var server = TestServer.Start();
        server.WriteFile("ten", "0123456789");
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var missing = await Assert.ThrowsAsync<HftpStatusException>(() => client.GetSizeAsync("nope"));
        Assert.Equal(StatusCode.FileNotFound, missing.Status);
        Assert.Equal("nope: FILE NOT FOUND (202)", missing.Message);
        var past = await Assert.ThrowsAsync<HftpStatusException>(() => client.ReadSliceAsync("ten", 5, 6, Stream.Null));
        Assert.Equal(StatusCode.OffsetExceedsFileSize, past.Status);
        Assert.False(past.IsFatal);

        Assert.Equal(10, await client.GetSizeAsync("ten"));
    }

    [Fact]
    public async Task RawRequestsShowNoSuchCommandAndInvalidArguments()
    {
        using var server = TestServer.Start();
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var unknown = await client.SendRawAsync("verdura");
        var invalid = await client.SendRawAsync("quit now");
        var fatal = await client.SendRawAsync("get_metadata \u00e9");

        Assert.Equal(StatusCode.NoSuchCommand, unknown.Status);
        Assert.Equal(StatusCode.InvalidArguments, invalid.Status);
        Assert.Equal(StatusCode.BadRequest, fatal.Status);
        Assert.Equal("BAD REQUEST", fatal.Message);
    }

    [Fact]
    public async Task InvalidFileNameIsRefusedBeforeAnythingIsSent()
    {
        using var server = TestServer.Start();
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        await Assert.ThrowsAsync<ArgumentException>(() => client.GetSizeAsync("two words"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetSizeAsync("quit\r\nget_file_listing"));

        Assert.Empty(await client.ListFilesAsync());
    }

    [Fact]
    public async Task PipelinedSizesComeBackInOrder()
    {
        using var server = TestServer.Start();
        server.WriteFile("a", "1");
        server.WriteFile("c", "333");
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        var results = await client.GetSizesAsync(["a", "b", "c"]);

        Assert.Equal(
            [("a", StatusCode.Ok, 1L), ("b", StatusCode.FileNotFound, 0L), ("c", StatusCode.Ok, 3L)],
            results.Select(result => (result.Name, result.Status, result.Size)));
    }

    [Fact]
    public async Task QuitIsPoliteAndFinal()
    {
        using var server = TestServer.Start();
        var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);

        await client.QuitAsync();

        Assert.True(await Eventually.HoldsAsync(() => server.Server.ActiveConnections == 0, TestTimeouts.Condition));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ListFilesAsync());
        await client.DisposeAsync();
        // A connection whose only request is quit looks like a load balancer's health check: logged at Debug.
        Assert.True(server.Log.Contains(Serilog.Events.LogEventLevel.Debug, "(Quit)"));
    }

    [Fact]
    public async Task ServerClosingMidSliceIsAConnectionException()
    {
        using var server = TestServer.Start();
        const long size = 256L << 20;
        server.WriteSparseFile("big", size);

        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);
        var truncated = false;
        var progress = new SynchronousProgress(received =>
        {
            if (!truncated && received > 0)
            {
                truncated = true;
                using var file = new FileStream(server.PathOf("big"), FileMode.Open, FileAccess.Write);
                file.SetLength(0);
            }
        });

        var failure = await Assert.ThrowsAsync<HftpConnectionException>(() => client.ReadSliceAsync("big", 0, size, Stream.Null, progress));

        Assert.Contains("closed the connection", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilentServerTimesOut()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var options = new HftpClientOptions { ReadTimeout = TimeSpan.FromMilliseconds(300) };
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", ((IPEndPoint)silent.LocalEndpoint).Port, options);

        var failure = await Assert.ThrowsAsync<HftpConnectionException>(() => client.ListFilesAsync());

        Assert.Contains("sent nothing", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplyThatIsNotHftpIsAProtocolException()
    {
        using var impostor = new TcpListener(IPAddress.Loopback, 0);
        impostor.Start();
        var answering = Task.Run(async () =>
        {
            using var socket = await impostor.AcceptSocketAsync();
            await socket.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
            await socket.ReceiveAsync(new byte[64]);
        });
        await using var client = await HftpClient.ConnectAsync("127.0.0.1", ((IPEndPoint)impostor.LocalEndpoint).Port);

        await Assert.ThrowsAsync<HftpProtocolException>(() => client.ListFilesAsync());
        client.Dispose();
        await answering.WaitAsync(TestTimeouts.Reply);
    }

    [Fact]
    public async Task RefusedConnectionIsAConnectionException()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();

        await Assert.ThrowsAsync<HftpConnectionException>(() => HftpClient.ConnectAsync("127.0.0.1", port));
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the callback on the reading thread.</summary>
    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
