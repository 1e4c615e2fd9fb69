using System.Runtime.InteropServices;

namespace Hftp.Server.Files;

/// <summary>
/// The few Linux calls that .NET does not offer: a non-blocking, no-follow open (so a FIFO can never block
/// a connection and a symlink is seen as one), statx to learn a file's type without opening it, and realpath.
/// The request path calls them with NUL-terminated UTF-8 paths it builds on the stack and raw descriptors, so
/// examining, opening and reading a file allocates nothing.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static partial class LinuxFiles
{
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const uint StatxMode = 0x2;
    private const int StatxBufferSize = 256;
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;

    private const int OpenReadOnly = 0;
    private const int OpenNoControllingTerminal = 0x100;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;
    private const int DirentRecordLengthOffset = 16;
    private const int DirentNameOffset = 19;

    public const int OperationNotPermitted = 1;
    public const int NoSuchEntry = 2;
    public const int PermissionDenied = 13;
    public const int NoSuchDeviceOrAddress = 6;
    public const int Interrupted = 4;
    public const int NotADirectory = 20;
    public const int NameTooLong = 36;
    public const int TooManySymbolicLinks = 40;

    // O_NOFOLLOW is one of the few open flags whose value differs between Linux architectures.
    private static readonly int OpenNoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm
        ? 0x8000
        : 0x20000;

    // So is O_DIRECTORY.
    private static readonly int OpenDirectory = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm
        ? 0x4000
        : 0x10000;

    private const int AnyReadPermission = 0x124; // 0444

    /// <summary>Type and size of an entry, without opening it.</summary>
    public static unsafe int TryStat(string path, bool followSymlink, out FileKind kind, out long size)
    {
        var buffer = stackalloc byte[StatxBufferSize];
        var flags = followSymlink ? 0 : AtSymlinkNoFollow;
        return Complete(Statx(AtCurrentDirectory, path, flags, StatxType | StatxSize, buffer), buffer, out kind, out size);
    }

    /// <summary>As <see cref="TryStat(string, bool, out FileKind, out long)"/>, for a NUL-terminated UTF-8 path.</summary>
    public static unsafe int TryStat(ReadOnlySpan<byte> path, bool followSymlink, out FileKind kind, out long size)
    {
        CheckTerminated(path);
        var buffer = stackalloc byte[StatxBufferSize];
        var flags = followSymlink ? 0 : AtSymlinkNoFollow;
        int result;
        fixed (byte* pathBytes = path)
        {
            result = Statx(AtCurrentDirectory, pathBytes, flags, StatxType | StatxSize, buffer);
        }

        return Complete(result, buffer, out kind, out size);
    }

    /// <summary>
    /// Type and size of an open descriptor (the file actually read, whatever happens to its name), and whether its
    /// mode has any read permission bit: root may open a file of mode 000, but the protocol counts it unreadable.
    /// </summary>
    public static unsafe int TryStat(int descriptor, out FileKind kind, out long size, out bool hasReadPermissionBit)
    {
        var buffer = stackalloc byte[StatxBufferSize];
        var empty = stackalloc byte[1];
        empty[0] = 0;
        var error = Complete(Statx(descriptor, empty, AtEmptyPath, StatxType | StatxSize | StatxMode, buffer), buffer, out kind, out size);
        hasReadPermissionBit = error == 0 && (*(ushort*)(buffer + StatxModeOffset) & AnyReadPermission) != 0;
        return error;
    }

    /// <summary>
    /// Opens a NUL-terminated UTF-8 path for reading without ever blocking (O_NONBLOCK) and, unless told, without
    /// following a final symlink. The caller owns <paramref name="descriptor"/> and closes it with <see cref="Close"/>.
    /// </summary>
    public static unsafe int TryOpenForReading(ReadOnlySpan<byte> path, bool followSymlink, out int descriptor)
    {
        CheckTerminated(path);
        var flags = OpenReadOnly | OpenNonBlocking | OpenCloseOnExec | OpenNoControllingTerminal;
        if (!followSymlink)
        {
            flags |= OpenNoFollow;
        }

        fixed (byte* pathBytes = path)
        {
            do
            {
                descriptor = Open(pathBytes, flags);
            }
            while (descriptor < 0 && Marshal.GetLastPInvokeError() == Interrupted);
        }

        return descriptor < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>Reads at <paramref name="offset"/> (pread); 0 at the end of the file. Throws <see cref="IOException"/> when reading fails.</summary>
    public static unsafe int ReadAt(int descriptor, Span<byte> destination, long offset)
    {
        nint read;
        fixed (byte* bytes = destination)
        {
            do
            {
                read = PositionalRead(descriptor, bytes, (nuint)destination.Length, offset);
            }
            while (read < 0 && Marshal.GetLastPInvokeError() == Interrupted);
        }

        return read >= 0 ? (int)read : throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
    }

    public static void Close(int descriptor) => CloseDescriptor(descriptor);

    /// <summary>Opens a directory (NUL-terminated UTF-8 path) to read its entries; 0 or the errno.</summary>
    public static unsafe int TryOpenDirectory(ReadOnlySpan<byte> path, out int descriptor)
    {
        CheckTerminated(path);
        fixed (byte* pathBytes = path)
        {
            do
            {
                descriptor = Open(pathBytes, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
            }
            while (descriptor < 0 && Marshal.GetLastPInvokeError() == Interrupted);
        }

        return descriptor < 0 ? Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>
    /// Calls <paramref name="add"/> with the name of every entry of an open directory but <c>.</c> and <c>..</c>
    /// (getdents64 into <paramref name="buffer"/>). Throws <see cref="IOException"/> when reading fails.
    /// </summary>
    public static unsafe void ReadDirectory(int descriptor, Span<byte> buffer, FileListing names)
    {
        while (true)
        {
            nint filled;
            fixed (byte* bytes = buffer)
            {
                filled = GetDirectoryEntries(descriptor, bytes, (nuint)buffer.Length);
            }

            if (filled < 0)
            {
                throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
            }

            if (filled == 0)
            {
                return;
            }

            // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            for (var position = 0; position < filled;)
            {
                var entry = buffer[position..(int)filled];
                var recordLength = BitConverter.ToUInt16(entry[DirentRecordLengthOffset..]);
                var name = entry[DirentNameOffset..recordLength];
                var end = name.IndexOf((byte)0);
                name = end >= 0 ? name[..end] : name;
                if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8))
                {
                    names.Add(name);
                }

                position += recordLength;
            }
        }
    }

    /// <summary>Tells the kernel the range will be read once, front to back (POSIX_FADV_SEQUENTIAL: a larger readahead).</summary>
    public static bool AdviseSequential(int descriptor, long offset, long length) => Advise(descriptor, offset, length, AdviceSequential) == 0;

    private const int AdviceSequential = 2;

    [LibraryImport("libc", EntryPoint = "posix_fadvise64")]
    private static partial int Advise(int descriptor, long offset, long length, int advice);

    /// <summary>The canonical path of an open descriptor, read from its /proc/self/fd entry.</summary>
    public static string? RealPath(int descriptor) => RealPath($"/proc/self/fd/{descriptor}");

    private static void CheckTerminated(ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty || path[^1] != 0)
        {
            throw new ArgumentException("A path passed to the kernel must end with a NUL byte.", nameof(path));
        }
    }

    /// <summary>The canonical path (all symlinks resolved), or null when it cannot be resolved.</summary>
    public static string? RealPath(string path)
    {
        var resolved = RealPath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    private static unsafe int Complete(int result, byte* buffer, out FileKind kind, out long size)
    {
        if (result != 0)
        {
            kind = FileKind.Other;
            size = 0;
            return Marshal.GetLastPInvokeError();
        }

        var mode = *(ushort*)(buffer + StatxModeOffset);
        kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0xA000 => FileKind.SymbolicLink,
            0x4000 => FileKind.Directory,
            _ => FileKind.Other,
        };
        size = (long)*(ulong*)(buffer + StatxSizeOffset);
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static unsafe partial int Statx(int directory, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    private static unsafe partial int Open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "pread64", SetLastError = true)]
    private static unsafe partial nint PositionalRead(int descriptor, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static unsafe partial nint GetDirectoryEntries(int descriptor, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseDescriptor(int descriptor);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);
}
