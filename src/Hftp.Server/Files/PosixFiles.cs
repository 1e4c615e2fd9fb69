using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Server.Files;

/// <summary>The two POSIX calls <see cref="ServedDirectory"/> needs on Unix that .NET lacks: an open that never blocks
/// nor follows a final symlink (.NET's FileStream open of a FIFO waits for a writer), and lseek, to tell a file from a
/// pipe or socket. Only flag and error values differ between Linux, macOS and FreeBSD, the systems it knows.</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
[SupportedOSPlatform("freebsd")]
internal static partial class PosixFiles
{
    private const int OpenReadOnly = 0;
    private const int SeekFromCurrent = 1;
    private const int Interrupted = 4;

    private static readonly OpenFlags Flags = OpenFlags.ForThisSystem();

    /// <summary>Opens for reading with O_NONBLOCK | O_NOFOLLOW; 0 or the errno.</summary>
    public static int TryOpenForReading(string path, out SafeFileHandle handle)
    {
        var flags = OpenReadOnly | Flags.NonBlocking | Flags.NoFollow | Flags.CloseOnExec | Flags.NoControllingTerminal;
        int descriptor;
        do
        {
            descriptor = Open(path, flags);
        }
        while (descriptor < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        handle = descriptor < 0 ? new SafeFileHandle() : new SafeFileHandle(descriptor, ownsHandle: true);
        return descriptor < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Whether the open file can seek: false for a FIFO or socket (ESPIPE).</summary>
    public static bool CanSeek(SafeFileHandle handle) => Seek(handle, 0, SeekFromCurrent) >= 0;

    /// <summary>Errors that mean "this entry is not a file to serve" rather than "reading failed": gone, a socket
    /// (ENXIO, EOPNOTSUPP), a symlink met by O_NOFOLLOW (ELOOP; EMLINK on FreeBSD), a name too long.</summary>
    public static bool MeansNotServed(int error) =>
        error is 2 or 6 or 20 || error == Flags.TooManyLinks || error == Flags.NoFollowError
            || error == Flags.NotSupported || error == Flags.NameTooLong;

    /// <summary>EPERM and EACCES: a file that is there but may not be read (2026: its slices are 199).</summary>
    public static bool MeansUnreadable(int error) => error is 1 or 13;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial nint Seek(SafeFileHandle handle, nint offset, int whence);

    private readonly record struct OpenFlags(
        int NonBlocking, int NoFollow, int CloseOnExec, int NoControllingTerminal, int TooManyLinks, int NoFollowError, int NotSupported, int NameTooLong)
    {
        public static OpenFlags ForThisSystem()
        {
            if (OperatingSystem.IsMacOS())
            {
                return new(0x4, 0x100, 0x1000000, 0x20000, TooManyLinks: 62, NoFollowError: 62, NotSupported: 102, NameTooLong: 63);
            }

            if (OperatingSystem.IsFreeBSD())
            {
                return new(0x4, 0x100, 0x100000, 0x8000, TooManyLinks: 62, NoFollowError: 31, NotSupported: 45, NameTooLong: 63);
            }

            // Linux; O_NOFOLLOW is one of the few open flags whose value differs between its architectures.
            var noFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
            return new(0x800, noFollow, 0x80000, 0x100, TooManyLinks: 40, NoFollowError: 40, NotSupported: 95, NameTooLong: 36);
        }
    }
}
