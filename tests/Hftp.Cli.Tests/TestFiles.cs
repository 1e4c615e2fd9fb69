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

    public static string HashOf(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
