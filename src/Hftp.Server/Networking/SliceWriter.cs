using System.Buffers.Text;
using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>
/// Streams a <c>get_slice</c> reply through one buffer: read a chunk of the file into the buffer's read area,
/// base64-encode it into its send area, send when that is full, repeat. A 1 GiB slice costs the same memory
/// as a 1 KiB one: one <see cref="ReplyWriter.LargeBuffers"/> buffer of a few hundred KiB.
/// </summary>
internal static class SliceWriter
{
    // 96 KiB raw (128 KiB encoded) per read: small enough that the encoder reads it from cache, large enough that
    // reads cost few syscalls; sends go out 256 KiB at a time.
    public const int RawChunkSize = ReplyWriter.ReadAreaSize;

    // Slices up to this size are read on the stack and keep to the small reply buffer.
    private const int SmallSliceSize = 3 * 1024;

    public static void Write(ReplyWriter writer, ServedFile file, long offset, long size)
    {
        writer.WriteStatus(StatusCode.Ok);
        Span<byte> small = stackalloc byte[SmallSliceSize];
        while (size > 0)
        {
            var chunk = (int)Math.Min(size, RawChunkSize);
            var raw = chunk <= SmallSliceSize ? small[..chunk] : writer.ReadArea[..chunk];
            if (!file.TryReadExactly(raw, offset))
            {
                throw new FileShrankException(offset + chunk, file.Length);
            }

            var destination = writer.GetSpan(Base64.GetMaxEncodedToUtf8Length(chunk));
            Base64.EncodeToUtf8(raw, destination, out _, out var written);
            writer.Advance(written);
            offset += chunk;
            size -= chunk;
        }

        writer.Write(Syntax.LineTerminator);
    }
}
