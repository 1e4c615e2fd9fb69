using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli;

/// <summary>
/// A write-only stream onto bytes <c>[Start, End)</c> of the shared <c>.part</c> file: each connection writes its
/// range in place. <see cref="Written"/> grows only after the bytes were handed to the file system, so a state
/// saved from it never claims more than the file holds.
/// </summary>
internal sealed class RangeWriter(SafeFileHandle file, long start, long end, TransferProgress progress) : Stream
{
    private long _written;

    public long Start => start;

    public long End => end;

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

    public override void Write(byte[] buffer, int offset, int count)
    {
        CheckRoom(count);
        RandomAccess.Write(file, buffer.AsSpan(offset, count), start + _written);
        Advance(count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        CheckRoom(buffer.Length);
        await RandomAccess.WriteAsync(file, buffer, start + _written, cancellationToken);
        Advance(buffer.Length);
    }

    private void CheckRoom(int count)
    {
        if (count > Remaining)
        {
            throw new InvalidOperationException($"A write past the end of range [{start}, {end})");
        }
    }

    private void Advance(int count)
    {
        Volatile.Write(ref _written, _written + count);
        progress.Add(count);
    }
}
