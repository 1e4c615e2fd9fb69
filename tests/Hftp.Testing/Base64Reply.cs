namespace Hftp.Testing;

/// <summary>Reads a <c>get_slice</c> body of known size without a byte-at-a-time loop.</summary>
public static class Base64Reply
{
    /// <summary>Length on the wire of the base64 line for <paramref name="size"/> bytes, terminator included.</summary>
    public static int LineLength(long size) => checked((int)(((size + 2) / 3 * 4) + 2));

    public static async Task<byte[]> ReadSliceBodyAsync(RawClient client, long size, TimeSpan? timeout = null)
    {
        var line = await client.ReadExactlyAsync(LineLength(size), timeout);
        if (line[^2] != '\r' || line[^1] != '\n')
        {
            throw new InvalidOperationException("The base64 line does not end with \\r\\n where its length says.");
        }

        return Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(line, 0, line.Length - 2));
    }
}
