using System.Globalization;

namespace Hftp.Benchmark;

/// <summary>
/// The kernel's count of connections dropped because a listen queue was full (<c>TcpExt: ListenOverflows</c>
/// in <c>/proc/net/netstat</c>). A dropped SYN is retried after 1 s, then 3 s: the usual cause of a fresh
/// client's seconds-long connect. The counter is machine-wide, so other work on the machine adds to it.
/// </summary>
internal static class ListenOverflows
{
    public static long? Read()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/net/netstat");
            for (var index = 0; index + 1 < lines.Length; index += 2)
            {
                if (!lines[index].StartsWith("TcpExt:", StringComparison.Ordinal))
                {
                    continue;
                }

                var names = lines[index].Split(' ');
                var values = lines[index + 1].Split(' ');
                var column = Array.IndexOf(names, "ListenOverflows");
                return column > 0 && column < values.Length ? long.Parse(values[column], CultureInfo.InvariantCulture) : null;
            }
        }
        catch (IOException)
        {
            // Not Linux, or no /proc: the report simply leaves the figure out.
        }

        return null;
    }
}
