using System.Security.Cryptography;

namespace Hftp.Cli;

/// <summary>
/// A write-only stream onto bytes <c>[Start, End)</c> of a download: each connection writes its range in place in
/// the shared <c>.part</c> (or, for a stream output, in order). <see cref="Written"/> grows only after the bytes
/// were handed to the file system, so a state saved from it never claims more than the file holds. With a
/// <see cref="Hash"/>, the bytes are hashed as they are written (they arrive in order within a range).
/// </summary>
internal sealed class RangeWriter(
    Func<ReadOnlyMemory<byte>, long, CancellationToken, ValueTask> writeAt, long start, long end, TransferProgress progress) : Stream
{
    private long _written;

    public long Start => start;

    public long End => end;

    /// <summary>Fed every byte of the range, in order, when set.</summary>
    public IncrementalHash? Hash { get; init; }

    /// <summary>Bytes of the range on disk, from its start.</summary>
    public long Written => Volatile.Read(ref _written);

    public long Remaining => end - start - Written;

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

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length > Remaining)
        {
            throw new InvalidOperationException($"A write past the end of range [{start}, {end})");
        }

        await writeAt(buffer, start + _written, cancellationToken);
        Hash?.AppendData(buffer.Span);
        Volatile.Write(ref _written, _written + buffer.Length);
        progress.Add(buffer.Length);
    }
}
