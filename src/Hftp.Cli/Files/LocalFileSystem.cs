using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Hftp.Cli.Files;

/// <summary>
/// The real file system. On Linux it opens with O_NOFOLLOW and locks with flock; elsewhere it does what .NET
/// offers (a symbolic link is refused by looking first, and FileShare.None is the lock).
/// </summary>
internal sealed class LocalFileSystem : IDownloadFileSystem
{
    public static readonly LocalFileSystem Instance = new();

    public PathKind Inspect(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            return LinuxFileCalls.Inspect(path).Kind;
        }

        var info = new FileInfo(path);
        return !info.Exists && !Directory.Exists(path) && info.LinkTarget is null ? PathKind.Missing
            : info.LinkTarget is not null ? PathKind.SymbolicLink
            : Directory.Exists(path) ? PathKind.Directory
            : PathKind.Regular;
    }

    public SafeFileHandle? TryOpenLocked(string path, out bool created)
    {
        if (!OperatingSystem.IsLinux())
        {
            created = !File.Exists(path);
            try
            {
                return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                return null;
            }
        }

        // A finishing download renames its part away while holding the lock: when the name no longer leads to the
        // file locked here, open it again (it is a new part, or nothing).
        for (var attempt = 0; ; attempt++)
        {
            var descriptor = LinuxFileCalls.OpenOrCreate(path, exclusive: true, out var error);
            created = descriptor >= 0;
            if (descriptor < 0)
            {
                descriptor = LinuxFileCalls.OpenOrCreate(path, exclusive: false, out error);
            }

            if (descriptor < 0)
            {
                throw LinuxFileCalls.LastError(path, error);
            }

            var handle = new SafeFileHandle(descriptor, ownsHandle: true);
            try
            {
                if (!LinuxFileCalls.TryLock(descriptor, path))
                {
                    handle.Dispose();
                    return null;
                }

                var (kind, identity) = LinuxFileCalls.Inspect(descriptor, path);
                if (kind != PathKind.Regular)
                {
                    throw new IOException($"{path} is not a regular file");
                }

                var named = LinuxFileCalls.Inspect(path);
                if (named.Kind == PathKind.Regular && named.Identity == identity)
                {
                    return handle;
                }

                LinuxFileCalls.Unlock(handle);
                handle.Dispose();
                if (attempt == 3)
                {
                    throw new IOException($"{path} keeps being replaced while it is opened");
                }
            }
            catch
            {
                LinuxFileCalls.Unlock(handle);
                handle.Dispose();
                throw;
            }
        }
    }

    public void Unlock(SafeFileHandle file)
    {
        if (OperatingSystem.IsLinux())
        {
            LinuxFileCalls.Unlock(file);
        }
    }

    public long GetLength(SafeFileHandle file) => RandomAccess.GetLength(file);

    public void SetLength(SafeFileHandle file, long length) => RandomAccess.SetLength(file, length);

    public ValueTask WriteAsync(SafeFileHandle file, ReadOnlyMemory<byte> bytes, long offset, CancellationToken cancellationToken) =>
        RandomAccess.WriteAsync(file, bytes, offset, cancellationToken);

    public int Read(SafeFileHandle file, Span<byte> buffer, long offset) => RandomAccess.Read(file, buffer, offset);

    public void FlushToDisk(SafeFileHandle file) => RandomAccess.FlushToDisk(file);

    public string? ReadText(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            // Read, not checked first: a state removed between the check and the read is simply missing.
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
        }

        var descriptor = LinuxFileCalls.OpenForReading(path);
        if (descriptor < 0)
        {
            return null;
        }

        using var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        using var stream = new FileStream(handle, FileAccess.Read);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public void WriteFile(string path, ReadOnlySpan<byte> content)
    {
        using var handle = OperatingSystem.IsLinux()
            ? new SafeFileHandle(LinuxFileCalls.CreateForWriting(path), ownsHandle: true)
            : File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        RandomAccess.Write(handle, content, 0);
        RandomAccess.FlushToDisk(handle);
    }

    public void Rename(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void Delete(string path) => File.Delete(path);

    public void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsLinux())
        {
            LinuxFileCalls.FlushDirectory(directory);
        }
    }

    public long AvailableBytes(string directory) => new DriveInfo(directory).AvailableFreeSpace;
}
