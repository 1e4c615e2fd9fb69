using System.Security.Cryptography;

namespace Hftp.Client.Tests;

internal static class TestFiles
{
    /// <summary>Sparse, with random 64 KiB blocks every <paramref name="spacing"/> bytes: cheap to make, and misplaced bytes change its hash.</summary>
    public static void WriteSpreadRandom(string path, long size, long spacing = 7L << 20, Random? random = null)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.SetLength(size);
        var block = new byte[64 * 1024];
        for (long position = 0; position < size; position += spacing)
        {
            file.Position = position;
            if (random is null)
            {
                RandomNumberGenerator.Fill(block);
            }
            else
            {
                random.NextBytes(block);
            }

            file.Write(block, 0, (int)Math.Min(block.Length, size - position));
        }
    }

    public static string HashOf(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
