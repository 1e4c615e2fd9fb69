using Microsoft.Win32.SafeHandles;

namespace Hftp.Server.Files;

/// <summary>An open, verified regular file of the served directory, and its length when opened.</summary>
internal sealed class ServedFile(SafeFileHandle handle, long length) : IDisposable
{
    public long Length { get; } = length;

    /// <summary>
    /// Fills <paramref name="destination"/> from <paramref name="offset"/>. Returns false if the file ended
    /// first: it shrank after it was opened.
    /// </summary>
    public bool TryReadExactly(Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(handle, destination, offset);
            if (read == 0)
            {
                return false;
            }

            destination = destination[read..];
            offset += read;
        }

        return true;
    }

    public void Dispose() => handle.Dispose();
}
