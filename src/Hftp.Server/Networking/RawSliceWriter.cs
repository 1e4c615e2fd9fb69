using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>
/// Writes a raw <c>get_slice</c> reply (2026): <c>0 OK</c>, <c>Content-Length: SIZE</c>, an empty line, then the
/// file's bytes as they are. This is the server's fast path: nothing is encoded, and on Linux the bytes go from the
/// page cache to the socket (<see cref="SendFile"/>); elsewhere, and for short slices, through the reply buffer.
/// </summary>
internal static class RawSliceWriter
{
    // Each read asks for at least this much room, so reads stay large (the buffer is sent to make room).
    private const int MinimumRead = 64 * 1024;

    public static void Write(ReplyWriter writer, ServedFile file, long offset, long size, ConnectionServices services)
    {
        writer.WriteStatus(StatusCode.Ok);
        writer.Write(Syntax.ContentLengthPrefix);
        writer.WriteLine(size);
        writer.Write(Syntax.LineTerminator);
        if (size > MinimumRead && SendFile.IsEnabled && file.Handle is { } handle)
        {
            if (!writer.TrySendFile(handle, offset, size, services.Options.FileSendUnsentBytes))
            {
                throw new FileShrankException(offset + size, file.Length);
            }

            return;
        }
        while (size > 0)
        {
            var free = writer.GetSpan((int)Math.Min(size, MinimumRead));
            var chunk = (int)Math.Min(size, free.Length);
            file.ReadExactly(free[..chunk], offset);
            writer.Advance(chunk);
            offset += chunk;
            size -= chunk;
        }
    }
}
