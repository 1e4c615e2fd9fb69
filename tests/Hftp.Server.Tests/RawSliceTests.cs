using System.Text;
using Hftp.Protocol;
using Hftp.Testing;
using Serilog.Events;

namespace Hftp.Server.Tests;

/// <summary>
/// Raw slices (2026): <c>get_slice NAME OFFSET SIZE raw</c> is answered <c>0 OK</c>, <c>Content-Length: SIZE</c>, an
/// empty line, then exactly SIZE bytes as they are. Slices up to 64 KiB are read through the reply buffer, larger ones
/// go out with sendfile(2); both are covered.
/// </summary>
public sealed class RawSliceTests
{

    private const int FileSize = 1024 * 1024;

    private static readonly byte[] Content = MakeContent(FileSize);

    private static TestServer StartServer()
    {
        var server = TestServer.Start();
        server.WriteFile("data.bin", Content);
        return server;
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(0, FileSize)]
    [InlineData(12345, 100_000)]
    [InlineData(FileSize - 70_000, 70_000)]
    [InlineData(FileSize - 1, 1)]
    [InlineData(500, 64 * 1024)]
    [InlineData(500, (64 * 1024) + 1)]
    public async Task RawSliceIsTheHeaderThenExactlyTheBytesAndTheConnectionGoesOn(int offset, int size)
    {
        using var server = StartServer();
        using var client = server.Connect();

        await client.SendAsync(Requests.GetRawSlice("data.bin", offset, size) + Requests.GetMetadata("data.bin"));

        await client.ExpectAsync(Replies.RawSliceHeader(size));
        Assert.Equal(Content.AsSpan(offset, size).ToArray(), await client.ReadExactlyAsync(size, TestTimeouts.Transfer));
        await client.ExpectAsync(Replies.Size(FileSize));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(FileSize / 2)]
    [InlineData(FileSize)]
    public async Task RawSliceOfSizeZeroIsTheHeaderAndNothingAfterIt(int offset)
    {
        using var server = StartServer();
        using var client = server.Connect();

        // The next reply must follow the empty line at once: any byte between would be read as its status line.
        await client.SendAsync(Requests.GetRawSlice("data.bin", offset, 0) + Requests.GetMetadata("data.bin"));

        await client.ExpectAsync("0 OK\r\nContent-Length: 0\r\n\r\n" + Replies.Size(FileSize));
    }

    [Fact]
    public async Task RawAndBase64SlicesPipelinedBackToBackEachGetTheirOwnForm()
    {
        using var server = StartServer();
        using var client = server.Connect();
        var slices = new (long Offset, int Size, bool Raw)[]
        {
            (0, 10, true), (0, 10, false), (7, 300_000, true), (3, 200_000, false), (FileSize - 3, 3, true), (FileSize - 3, 3, false),
        };

        await client.SendAsync(string.Concat(slices.Select(slice => slice.Raw
            ? Requests.GetRawSlice("data.bin", slice.Offset, slice.Size)
            : Requests.GetSlice("data.bin", slice.Offset, slice.Size))) + Requests.Quit);

        var expected = new List<byte>();
        foreach (var (offset, size, raw) in slices)
        {
            var bytes = Content.AsSpan((int)offset, size);
            expected.AddRange(raw ? Replies.RawSliceBytes(bytes) : Replies.SliceBytes(bytes));
        }

        expected.AddRange(Encoding.ASCII.GetBytes(StatusCode.Ok.StatusLineText()));
        Assert.Equal(expected, await client.ReadExactlyAsync(expected.Count, TestTimeouts.Transfer));
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task RawSliceBeyondFourGibibytesIsExact()
    {
        using var server = TestServer.Start();
        const long size = (5L << 30) + 7;
        var marker = MakeContent(100_000);
        const long markerOffset = (4L << 30) + 3;
        using (var file = new FileStream(server.PathOf("huge.bin"), FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(size);
            file.Position = markerOffset;
            file.Write(marker);
        }

        using var client = server.Connect();

        await client.SendAsync(Requests.GetRawSlice("huge.bin", markerOffset, marker.Length) + Requests.GetRawSlice("huge.bin", size - 4, 4)
            + Requests.GetRawSlice("huge.bin", size - 4, 5));

        await client.ExpectAsync(Replies.RawSliceHeader(marker.Length));
        Assert.Equal(marker, await client.ReadExactlyAsync(marker.Length, TestTimeouts.Transfer));
        await client.ExpectAsync(Replies.RawSliceHeader(4) + "\0\0\0\0" + StatusCode.OffsetExceedsFileSize.StatusLineText());
    }

    [Fact]
    public async Task FileShrinkingDuringARawSliceClosesBeforeContentLengthBytes()
    {
        using var server = TestServer.Start();
        const long size = 256L << 20;
        server.WriteSparseFile("shrinking.bin", size);
        using var client = server.Connect();

        await client.SendAsync(Requests.GetRawSlice("shrinking.bin", 0, size));
        await client.ExpectAsync(Replies.RawSliceHeader(size));
        await client.ReadExactlyAsync(1024);

        // The server is blocked on a full socket well before the end; truncate under it.
        using (var file = new FileStream(server.PathOf("shrinking.bin"), FileMode.Open, FileAccess.Write))
        {
            file.SetLength(0);
        }

        // The client tells a cut-short raw slice by its length: fewer bytes than Content-Length, then the end.
        var ended = await Assert.ThrowsAsync<EndOfStreamException>(() => client.ReadExactlyAsync((int)size - 1024, TestTimeouts.Transfer));
        Assert.Contains("Connection closed after", ended.Message, StringComparison.Ordinal);
        Assert.True(await Eventually.HoldsAsync(() => server.Log.Contains(LogEventLevel.Error, "after its reply began"), TestTimeouts.Condition));
    }

    private static byte[] MakeContent(int size)
    {
        var content = new byte[size];
        new Random(size).NextBytes(content);
        return content;
    }
}
