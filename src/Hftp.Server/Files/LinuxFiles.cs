using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Server.Files;

/// <summary>
/// The few Linux calls that .NET does not offer: a non-blocking, no-follow open (so a FIFO can never block
/// a connection and a symlink is seen as one), statx to learn a file's type without opening it, and realpath.
/// </summary>
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

    private const int ReadPermission = 4;
    private const int AtEffectiveIds = 0x200;
    private const int ReadableByEveryone = 0x124; // 0444

    /// <summary>Type and size of the entry at <paramref name="path"/>, following a final symlink or not.</summary>
    public static int TryStat(string path, bool followSymlink, out FileKind kind, out long size) =>
        TryStat(path, followSymlink, out kind, out size, out _);

    /// <summary>Type, size and whether its permission bits let anyone at all read it.</summary>
    public static unsafe int TryStat(string path, bool followSymlink, out FileKind kind, out long size, out bool readableByEveryone)
    {
        var buffer = stackalloc byte[StatxBufferSize];
        var flags = followSymlink ? 0 : AtSymlinkNoFollow;
        var error = Complete(Statx(AtCurrentDirectory, path, flags, StatxType | StatxSize | StatxMode, buffer), buffer, out kind, out size);
        readableByEveryone = error == 0 && (*(ushort*)(buffer + StatxModeOffset) & ReadableByEveryone) == ReadableByEveryone;
        return error;
    }

    /// <summary>Whether this process may open <paramref name="path"/> for reading (the kernel's answer, with our effective ids).</summary>
    public static bool CanRead(string path) => AccessAt(AtCurrentDirectory, path, ReadPermission, AtEffectiveIds) == 0;

    /// <summary>Type and size of an open file: the file actually read, whatever happens to its name.</summary>
    public static unsafe int TryStat(SafeFileHandle handle, out FileKind kind, out long size)
    {
        var buffer = stackalloc byte[StatxBufferSize];
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var descriptor = (int)handle.DangerousGetHandle();
            return Complete(Statx(descriptor, string.Empty, AtEmptyPath, StatxType | StatxSize, buffer), buffer, out kind, out size);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Opens for reading without ever blocking (O_NONBLOCK) and, unless told, without following a final symlink.</summary>
    public static int TryOpenForReading(string path, bool followSymlink, out SafeFileHandle handle)
    {
        var flags = OpenReadOnly | OpenNonBlocking | OpenCloseOnExec | OpenNoControllingTerminal;
        if (!followSymlink)
        {
            flags |= OpenNoFollow;
        }

        int descriptor;
        do
        {
            descriptor = Open(path, flags);
        }
        while (descriptor < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        if (descriptor < 0)
        {
            handle = new SafeFileHandle();
            return Marshal.GetLastPInvokeError();
        }

        handle = new SafeFileHandle(descriptor, ownsHandle: true);
        return 0;
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

    /// <summary>The canonical path of an open file, read from its /proc/self/fd entry.</summary>
    public static string? RealPath(SafeFileHandle handle) =>
        RealPath($"/proc/self/fd/{handle.DangerousGetHandle()}");

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

    [LibraryImport("libc", EntryPoint = "faccessat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int AccessAt(int directory, string path, int mode, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);
}
