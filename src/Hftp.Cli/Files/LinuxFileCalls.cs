using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli.Files;

/// <summary>
/// The Linux calls a download needs and .NET does not offer: an open that never follows a symbolic link, a lock
/// that fails at once instead of waiting (flock LOCK_EX|LOCK_NB), statx to compare what a name and an open
/// descriptor are, and fsync of a directory so a rename or unlink is on disk.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static partial class LinuxFileCalls
{
    public const int NoSuchEntry = 2;
    public const int WouldBlock = 11;
    public const int TooManySymbolicLinks = 40;

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxInode = 0x100;
    private const int StatxBufferSize = 256;
    private const int StatxModeOffset = 28;
    private const int StatxInodeOffset = 32;
    private const int StatxDeviceMajorOffset = 136;
    private const int StatxDeviceMinorOffset = 140;

    private const int OpenReadOnly = 0;
    private const int OpenWriteOnly = 1;
    private const int OpenReadWrite = 2;
    private const int OpenCreate = 0x40;
    private const int OpenExclusive = 0x80;
    private const int OpenTruncate = 0x200;
    private const int OpenCloseOnExec = 0x80000;
    private const int Interrupted = 4;
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int LockUnlock = 8;
    private const int CreatedMode = 0x1B6; // 0666, less the umask

    // O_NOFOLLOW is one of the few open flags whose value differs between Linux architectures.
    private static readonly int OpenNoFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;

    /// <summary>What a name is, without following it (lstat), with its identity; <see cref="PathKind.Missing"/> when there is none.</summary>
    public static unsafe (PathKind Kind, FileIdentity Identity) Inspect(string path)
    {
        var buffer = stackalloc byte[StatxBufferSize];
        return Statx(AtCurrentDirectory, path, AtSymlinkNoFollow, StatxType | StatxInode, buffer) == 0
            ? Describe(buffer)
            : Marshal.GetLastPInvokeError() == NoSuchEntry ? (PathKind.Missing, default) : throw LastError(path);
    }

    /// <summary>What an open descriptor is: the file actually held, whatever has happened to its name since.</summary>
    public static unsafe (PathKind Kind, FileIdentity Identity) Inspect(int descriptor, string path)
    {
        var buffer = stackalloc byte[StatxBufferSize];
        return Statx(descriptor, string.Empty, AtEmptyPath, StatxType | StatxInode, buffer) == 0 ? Describe(buffer) : throw LastError(path);
    }

    /// <summary>Opens (creating it when missing) for reading and writing, never through a symbolic link; -1 and the errno on failure.</summary>
    public static int OpenOrCreate(string path, bool exclusive, out int error) =>
        OpenRetrying(path, OpenReadWrite | OpenCreate | OpenCloseOnExec | OpenNoFollow | (exclusive ? OpenExclusive : 0), out error);

    /// <summary>Creates or empties a file for writing, never through a symbolic link.</summary>
    public static int CreateForWriting(string path)
    {
        var descriptor = OpenRetrying(path, OpenWriteOnly | OpenCreate | OpenTruncate | OpenCloseOnExec | OpenNoFollow, out _);
        return descriptor >= 0 ? descriptor : throw LastError(path);
    }

    /// <summary>Opens for reading, never through a symbolic link; -1 when there is no such file.</summary>
    public static int OpenForReading(string path)
    {
        var descriptor = OpenRetrying(path, OpenReadOnly | OpenCloseOnExec | OpenNoFollow, out var error);
        return descriptor >= 0 || error == NoSuchEntry ? descriptor : throw LastError(path, error);
    }

    /// <summary>Takes an exclusive lock at once, or returns false when another open file holds one.</summary>
    public static bool TryLock(int descriptor, string path)
    {
        int result;
        do
        {
            result = Flock(descriptor, LockExclusive | LockNonBlocking);
        }
        while (result < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        return result == 0 || (Marshal.GetLastPInvokeError() == WouldBlock ? false : throw LastError(path));
    }

    /// <summary>Releases the lock <see cref="TryLock"/> took on <paramref name="file"/>; a failure leaves it to the close.</summary>
    public static void Unlock(SafeFileHandle file)
    {
        if (file.IsClosed)
        {
            return;
        }

        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            _ = Flock((int)file.DangerousGetHandle(), LockUnlock);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    /// <summary>Flushes a directory's entries (a rename, a new or removed name) to disk.</summary>
    public static void FlushDirectory(string directory)
    {
        var descriptor = OpenRetrying(directory, OpenReadOnly | OpenCloseOnExec, out var error);
        if (descriptor < 0)
        {
            throw LastError(directory, error);
        }

        try
        {
            if (FileSync(descriptor) != 0)
            {
                throw LastError(directory);
            }
        }
        finally
        {
            Close(descriptor);
        }
    }

    public static IOException LastError(string path, int? error = null)
    {
        var code = error ?? Marshal.GetLastPInvokeError();
        return new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(code)}", code);
    }

    private static int OpenRetrying(string path, int flags, out int error)
    {
        int descriptor;
        do
        {
            descriptor = Open(path, flags, CreatedMode);
        }
        while (descriptor < 0 && Marshal.GetLastPInvokeError() == Interrupted);

        error = descriptor < 0 ? Marshal.GetLastPInvokeError() : 0;
        return descriptor;
    }

    private static unsafe (PathKind Kind, FileIdentity Identity) Describe(byte* buffer)
    {
        var mode = *(ushort*)(buffer + StatxModeOffset);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => PathKind.Regular,
            0xA000 => PathKind.SymbolicLink,
            0x4000 => PathKind.Directory,
            0x2000 => PathKind.CharacterDevice,
            0x1000 => PathKind.Fifo,
            _ => PathKind.Other,
        };
        var identity = new FileIdentity(
            *(uint*)(buffer + StatxDeviceMajorOffset), *(uint*)(buffer + StatxDeviceMinorOffset), *(ulong*)(buffer + StatxInodeOffset));
        return (kind, identity);
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int descriptor, int operation);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FileSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
