using Hftp.Client;
using Hftp.Testing;

namespace Hftp.Client.Tests;

[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public sealed class MemoryTestsRunAlone;

[Collection(nameof(MemoryTests))]
public sealed class MemoryTests
{
    [Fact]
    public async Task OneGibibyteSliceAllocatesAFractionOfItsSize()
    {
        using var server = TestServer.Start();
        const long size = 1L << 30;
        server.WriteSparseFile("sparse.bin", size);

        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);
        var counter = new CountingStream();
        await client.ReadSliceAsync("sparse.bin", 0, 1 << 20, counter); // warm up the pools
        var before = GC.GetTotalAllocatedBytes(precise: true);

        await client.ReadSliceAsync("sparse.bin", 0, size, counter);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(size + (1 << 20), counter.Written);
        // Server and client share this process; both stream, so all of it together stays far below the size.
        Assert.True(allocated < 64L << 20, $"allocated {allocated} bytes for a {size}-byte slice");
    }

    [Fact]
    public async Task RawSliceAllocatesAFractionOfItsSize()
    {
        using var server = TestServer.Start();
        const long size = 256L << 20;
        server.WriteSparseFile("sparse.bin", size);

        await using var client = await HftpClient.ConnectAsync("127.0.0.1", server.Port);
        var counter = new CountingStream();
        await client.ReadRawSliceAsync("sparse.bin", 0, 1 << 20, counter); // warm up the pools
        var before = GC.GetTotalAllocatedBytes(precise: true);

        await client.ReadRawSliceAsync("sparse.bin", 0, size, counter);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(size + (1 << 20), counter.Written);
        Assert.True(allocated < 16L << 20, $"allocated {allocated} bytes for a {size}-byte raw slice");
    }

    private sealed class CountingStream : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written += count;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
