using System.Net;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

public sealed class ReadFailureTests
{

    private static TestServer StartServer() => TestServer.Start();

    [SysfsFact]
    public async Task ReadFailingBeforeAnyReplyByteIs199AndClose()
    {
        // sysfs files claim 4096 bytes but read far fewer: a real file whose read fails the promised size,
        // before the reply has left the server, so 199 can still replace it.
        const string name = SysfsFactAttribute.FileName;
        using var server = new HftpServer(
            new ServerOptions { Address = IPAddress.Loopback, Port = 0, Directory = SysfsFactAttribute.Directory }, Serilog.Core.Logger.None);
        server.Start();
        using var client = RawClient.Connect(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port));

        await client.SendAsync(Requests.GetMetadata(name) + Requests.GetSlice(name, 0, 4096) + Requests.GetMetadata(name));

        await client.ExpectAsync(Replies.Size(4096) + StatusCode.InternalServerError.StatusLineText());
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task FileShrinkingAfterOkWasSentClosesTheConnectionAndLogsAnError()
    {
        using var server = StartServer();
        const long size = 256L << 20;
        server.WriteSparseFile("shrinking.bin", size);

        await ShrinkingSlice.ExpectCutShortAsync(server, "shrinking.bin", size);
        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Error, "after its reply began"), TestTimeouts.Condition));
    }
}
