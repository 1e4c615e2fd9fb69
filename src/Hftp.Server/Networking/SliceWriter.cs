using System.Buffers.Text;
using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>Writes a <c>get_slice</c> reply. Raw (2026, <see cref="WriteRaw"/>): the header, then the file's bytes
/// unchanged, on Linux from page cache to socket (<see cref="SendFile"/>), else and for short slices through the reply
/// buffer. Base64 (<see cref="Write"/>) streams through the reply buffer alone: read a chunk of the file into the tail
/// of its free space, encode it forward in place, send when full; a 1 GiB slice takes the memory of a 1 KiB one, a
/// large reply buffer (256 KiB) of which a read fills up to about 180 KiB. Slices of a mebibyte or more are read and
/// encoded ahead by a <see cref="SliceEncoder"/> if an encoder slot (the cores less one) is free.</summary>
/// <remarks>Encoding in place is safe because it goes forward in pieces whose source and destination never overlap:
/// with <c>n</c> raw bytes at the end of <c>F</c> free bytes (from <c>F - n</c>), piece <c>k</c> (raw bytes
/// <c>[kP, kP + P)</c>) is encoded to <c>[4kP/3, 4(k+1)P/3)</c>, which ends before the piece starts as long as
/// <c>F &gt;= 4n/3 + 4P/3</c>; every piece is read before anything is written over it.</remarks>
internal static class SliceWriter
{
    /// <summary>Raw bytes encoded per call: a multiple of 3, so only the slice's last piece can have padding.</summary>
    public const int PieceSize = 12 * 1024;

    private const int EncodedPieceSize = PieceSize / 3 * 4;

    /// <summary>Free space below which the buffer is sent before the next read, so reads stay large (raw or base64).</summary>
    public const int MinimumFreeSpace = 64 * 1024;

    // Slices up to this size are read on the stack and keep to the small reply buffer.
    private const int SmallSliceSize = 3 * 1024;

    public static void Write(ReplyWriter writer, ServedFile file, long offset, long size, ConnectionServices services)
    {
        writer.WriteStatus(StatusCode.Ok);
        if (size <= SmallSliceSize)
        {
            WriteSmall(writer, file, offset, (int)size);
        }
        else if (size < services.Options.MinimumEncodedAheadSliceSize || !services.SliceEncoders.Wait(0))
        {
            WriteAlone(writer, file, offset, size);
        }
        else
        {
            try
            {
                WriteEncodedAhead(writer, file, offset, size, services);
            }
            finally
            {
                services.SliceEncoders.Release();
            }
        }

        writer.Write(Syntax.LineTerminator);
    }

    public static void WriteRaw(ReplyWriter writer, ServedFile file, long offset, long size, ConnectionServices services)
    {
        writer.WriteStatus(StatusCode.Ok);
        writer.Write(Syntax.ContentLengthPrefix);
        writer.WriteLine(size);
        writer.Write(Syntax.LineTerminator);
        if (size > MinimumFreeSpace && SendFile.IsEnabled && file.Handle is { } handle)
        {
            if (!writer.TrySendFile(handle, offset, size, services.Options.FileSendUnsentBytes))
            {
                throw new FileShrankException(offset + size, file.Length);
            }

            return;
        }

        while (size > 0)
        {
            var free = writer.GetSpan((int)Math.Min(size, MinimumFreeSpace));
            var chunk = (int)Math.Min(size, free.Length);
            file.ReadExactly(free[..chunk], offset);
            writer.Advance(chunk);
            offset += chunk;
            size -= chunk;
        }
    }

    // A pool thread reads and encodes each chunk while this one sends the one before (see SliceEncoder).
    private static void WriteEncodedAhead(ReplyWriter writer, ServedFile file, long offset, long size, ConnectionServices services)
    {
        using var encoder = SliceEncoder.TryStart(services.Threads, services.Buffers, writer.LargeBufferSize, file, offset, size);
        if (encoder is null)
        {
            WriteAlone(writer, file, offset, size);
            return;
        }

        for (var slot = 0; size > 0; slot = (slot + 1) % SliceEncoder.Slots)
        {
            writer.SendDirect(encoder.TakeChunk(slot));
            encoder.ChunkSent();
            size -= Math.Min(size, encoder.ChunkSize);
        }
    }

    /// <summary>The most raw bytes (a multiple of 3) that can be read into <paramref name="freeSpace"/> and encoded there in place.</summary>
    public static int RawBytesThatFit(int freeSpace)
    {
        var raw = (int)((freeSpace - EncodedPieceSize) * 3L / 4);
        return Math.Max(raw - (raw % 3), 0);
    }

    // Read, encode and send on this thread, chunk after chunk, through the writer's buffer.
    private static void WriteAlone(ReplyWriter writer, ServedFile file, long offset, long size)
    {
        while (size > 0)
        {
            // Room for the whole rest of the slice, or at least MinimumFreeSpace: either way a read of some size.
            var needed = Math.Min(size, MinimumFreeSpace) / 3 * 4 + 4 + EncodedPieceSize;
            var free = writer.GetSpan((int)Math.Min(needed, MinimumFreeSpace));
            var chunk = (int)Math.Min(size, RawBytesThatFit(free.Length));
            var written = ReadAndEncode(file, offset, free, chunk);
            writer.Advance(written);
            offset += chunk;
            size -= chunk;
        }
    }

    /// <summary>Reads chunk raw bytes into the end of free, then encodes them forward from its start; returns the encoded length.</summary>
    internal static int ReadAndEncode(ServedFile file, long offset, Span<byte> free, int chunk)
    {
        var raw = free[^chunk..];
        file.ReadExactly(raw, offset);

        var written = 0;
        for (var piece = 0; piece < chunk; piece += PieceSize)
        {
            var source = raw.Slice(piece, Math.Min(PieceSize, chunk - piece));
            // The destination is exactly the piece's output, so it never overlaps the source (see remarks).
            var destination = free.Slice(written, Base64.GetMaxEncodedToUtf8Length(source.Length));
            Base64.EncodeToUtf8(source, destination, out _, out var pieceWritten);
            written += pieceWritten;
        }

        return written;
    }

    private static void WriteSmall(ReplyWriter writer, ServedFile file, long offset, int size)
    {
        Span<byte> raw = stackalloc byte[SmallSliceSize];
        raw = raw[..size];
        file.ReadExactly(raw, offset);

        var destination = writer.GetSpan(Base64.GetMaxEncodedToUtf8Length(size));
        Base64.EncodeToUtf8(raw, destination, out _, out var written);
        writer.Advance(written);
    }
}
