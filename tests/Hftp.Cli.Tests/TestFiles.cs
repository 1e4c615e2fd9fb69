using System.Security.Cryptography;

namespace Hftp.Cli.Tests;

internal static class TestFiles
{
    /// <summary>
    /// Random 64 KiB blocks every <paramref name="spacing"/> bytes, zeros (sparse) between: cheap to make, and
    /// misplaced bytes change its hash. A spacing of 64 KiB makes every byte random.
    /// </summary>
    public static void WriteSpreadRandom(string path, long size, long spacing = 7L << 20)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.SetLength(size);
        var block = new byte[64 * 1024];
        for (long position = 0; position < size; position += spacing)
        {
            file.Position = position;
            RandomNumberGenerator.Fill(block);

            file.Write(block, 0, (int)Math.Min(block.Length, size - position));
        }
    }

    /// <summary>
    /// Reads a file without taking the shared lock .NET's readers take: a parallel test's child process, between its
    /// fork and its exec, briefly holds the descriptors (and so the exclusive lock) of a download in this process.
    /// </summary>
    public static byte[] ReadUnlocked(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return File.ReadAllBytes(path);
        }

        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(Hftp.Cli.Files.LinuxFileCalls.OpenForReading(path), ownsHandle: true);
        var bytes = new byte[RandomAccess.GetLength(handle)];
        for (var read = 0; read < bytes.Length;)
        {
            read += RandomAccess.Read(handle, bytes.AsSpan(read), read);
        }

        return bytes;
    }

    public static string HashOf(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
