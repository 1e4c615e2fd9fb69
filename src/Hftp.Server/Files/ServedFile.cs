using Microsoft.Win32.SafeHandles;

namespace Hftp.Server.Files;

/// <summary>An open, verified regular file of the served directory, and its length when opened. One instance serves a
/// connection's slices one after another (<see cref="FileStore.TryOpen(AskedName, ServedFile)"/> opens into it,
/// <see cref="Close"/> ends each, in a finally: no file stays open between requests).</summary>
internal sealed class ServedFile
{
    public long Length { get; private set; }

    /// <summary>The open file, for sendfile(2); null when none is open.</summary>
    public SafeFileHandle? Handle { get; private set; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; throws <see cref="FileShrankException"/> if
    /// the file ended first (it shrank after it was opened), <see cref="IOException"/> when reading fails.</summary>
    public void ReadExactly(Span<byte> destination, long offset)
    {
        ObjectDisposedException.ThrowIf(Handle is null, this);
        for (var end = offset + destination.Length; !destination.IsEmpty;)
        {
            var read = RandomAccess.Read(Handle, destination, offset);
            if (read == 0)
            {
                throw new FileShrankException(end, Length);
            }

            destination = destination[read..];
            offset += read;
        }
    }

    /// <summary>Closes the file; the instance can be opened into again. Closing twice does nothing.</summary>
    public void Close()
    {
        Handle?.Dispose();
        Handle = null;
        Length = 0;
    }

    internal void Assign(SafeFileHandle handle, long length)
    {
        Close();
        (Handle, Length) = (handle, length);
    }
}

/// <summary>A served file ended before the slice promised by its earlier size.</summary>
internal sealed class FileShrankException(long wantedEnd, long lengthWhenOpened)
    : IOException($"The file ended before byte {wantedEnd}; it was {lengthWhenOpened} bytes when opened");
