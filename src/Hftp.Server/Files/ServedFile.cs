using Microsoft.Win32.SafeHandles;

namespace Hftp.Server.Files;

/// <summary>
/// An open, verified regular file of the served directory, and its length when opened. One instance serves a
/// connection's slices one after another (<see cref="FileStore.TryOpen"/> opens into it, <see cref="Close"/> ends
/// each, in a finally: no file stays open between requests, so it is no IDisposable), so opening a file allocates nothing: the Linux back end hands it a raw descriptor, the portable one a
/// <see cref="SafeFileHandle"/>.
/// </summary>
internal sealed class ServedFile
{
    private const int NoDescriptor = -1;

    private SafeFileHandle? _handle;
    private int _descriptor = NoDescriptor;

    public long Length { get; private set; }

    public bool IsOpen => _handle is not null || _descriptor != NoDescriptor;

    /// <summary>The open file's descriptor, for sendfile(2); -1 on Windows.</summary>
    public int Descriptor => _handle is not null
        ? (OperatingSystem.IsWindows() ? NoDescriptor : (int)_handle.DangerousGetHandle())
        : _descriptor;

    /// <summary>
    /// Fills <paramref name="destination"/> from <paramref name="offset"/>. Returns false if the file ended
    /// first: it shrank after it was opened. Throws <see cref="IOException"/> when reading fails.
    /// </summary>
    public bool TryReadExactly(Span<byte> destination, long offset)
    {
        ObjectDisposedException.ThrowIf(!IsOpen, this);
        while (!destination.IsEmpty)
        {
            var read = _handle is not null ? RandomAccess.Read(_handle, destination, offset) : ReadDescriptor(destination, offset);
            if (read == 0)
            {
                return false;
            }

            destination = destination[read..];
            offset += read;
        }

        return true;
    }

    /// <summary>Hints that <paramref name="length"/> bytes from <paramref name="offset"/> will be read once, in order.</summary>
    public void AdviseSequential(long offset, long length)
    {
        if (_descriptor != NoDescriptor && OperatingSystem.IsLinux())
        {
            // Only a hint: a kernel that ignores it reads the file just the same.
            _ = LinuxFiles.AdviseSequential(_descriptor, offset, length);
        }
    }

    /// <summary>Closes the file; the instance can be opened into again. Closing twice does nothing.</summary>
    public void Close()
    {
        if (_handle is not null)
        {
            _handle.Dispose();
            _handle = null;
        }
        else if (_descriptor != NoDescriptor)
        {
            var descriptor = _descriptor;
            _descriptor = NoDescriptor;
            CloseDescriptor(descriptor);
        }

        Length = 0;
    }

    internal void Assign(SafeFileHandle handle, long length)
    {
        Close();
        (_handle, Length) = (handle, length);
    }

    /// <summary>Takes ownership of an open descriptor (Linux back end): <see cref="Close"/> closes it.</summary>
    internal void Assign(int descriptor, long length)
    {
        Close();
        (_descriptor, Length) = (descriptor, length);
    }

    private int ReadDescriptor(Span<byte> destination, long offset) =>
        OperatingSystem.IsLinux() ? LinuxFiles.ReadAt(_descriptor, destination, offset) : throw new PlatformNotSupportedException();

    private static void CloseDescriptor(int descriptor)
    {
        if (OperatingSystem.IsLinux())
        {
            LinuxFiles.Close(descriptor);
        }
    }
}
