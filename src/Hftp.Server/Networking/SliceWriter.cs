using System.Buffers;
using System.Buffers.Text;
using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>
/// Streams a <c>get_slice</c> reply: reads the file a chunk at a time, base64-encodes each chunk straight into
/// the reply buffer and sends it, so a 1 GiB slice costs the same memory as a 1 KiB one.
/// </summary>
internal static class SliceWriter
{
    // A multiple of 3: every chunk but the last encodes without padding, so the chunks concatenate into one
    // valid base64 line. 384 KiB raw (512 KiB encoded) per send: measured on loopback, 96 KiB chunks
    // moved ~1.5 GB/s decoded and 384 KiB ~1.85 GB/s; 768 KiB gained nothing more.
    public const int RawChunkSize = 384 * 1024;

    public static void Write(ReplyWriter writer, ServedFile file, long offset, long size)
    {
        writer.WriteStatus(StatusCode.Ok);
        if (size > 0)
        {
            var raw = ArrayPool<byte>.Shared.Rent((int)Math.Min(size, RawChunkSize));
            try
            {
                WriteBody(writer, file, offset, size, raw);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(raw);
            }
        }

        writer.Write(Syntax.LineTerminator);
    }

    private static void WriteBody(ReplyWriter writer, ServedFile file, long offset, long size, byte[] rawBuffer)
    {
        while (size > 0)
        {
            var chunk = (int)Math.Min(size, RawChunkSize);
            var raw = rawBuffer.AsSpan(0, chunk);
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
    }
}
