using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>
/// Writes a raw <c>get_slice</c> reply (2026): <c>0 OK</c>, <c>Content-Length: SIZE</c>, an empty line, then the
/// file's bytes as they are. This is the server's fast path: nothing is encoded, and on Linux the bytes go from the
/// page cache to the socket with sendfile(2), never through this process's memory.
/// </summary>
internal static class RawSliceWriter
{
    // Up to this size the bytes are read into the reply buffer and leave with the header in one send: for a short
    // slice, one send costs less than a send and a sendfile.
    private const int SmallSliceSize = 64 * 1024;

    public static void Write(ReplyWriter writer, ServedFile file, long offset, long size)
    {
        writer.WriteStatus(StatusCode.Ok);
        writer.Write(Syntax.ContentLengthPrefix);
        writer.WriteLine(size);
        writer.Write(Syntax.LineTerminator);
        if (size > SmallSliceSize && writer.CanSendFile && file.Descriptor >= 0)
        {
            if (!writer.TrySendFile(file.Descriptor, offset, size))
            {
                throw new FileShrankException(offset + size, file.Length);
            }

            return;
        }

        while (size > 0)
        {
            var free = writer.GetSpan((int)Math.Min(size, SmallSliceSize));
            var chunk = (int)Math.Min(size, free.Length);
            if (!file.TryReadExactly(free[..chunk], offset))
            {
                throw new FileShrankException(offset + chunk, file.Length);
            }

            writer.Advance(chunk);
            offset += chunk;
            size -= chunk;
        }
    }
}
