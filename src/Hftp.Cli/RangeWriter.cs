using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli;

/// <summary>
/// A write-only stream onto one range of a shared file: each connection of a parallel download writes its
/// range in place, so the file never has to be reassembled. <see cref="Written"/> is what a resume skips.
/// </summary>
internal sealed class RangeWriter(SafeFileHandle file, long rangeStart, long alreadyWritten) : Stream
{
    public long Written { get; private set; } = alreadyWritten;

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
        RandomAccess.Write(file, buffer.AsSpan(offset, count), rangeStart + Written);
        Written += count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await RandomAccess.WriteAsync(file, buffer, rangeStart + Written, cancellationToken);
        Written += buffer.Length;
    }
}
