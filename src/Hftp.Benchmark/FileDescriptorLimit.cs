using System.Globalization;

namespace Hftp.Benchmark;

/// <summary>The soft open-files limit of a process, from <c>/proc/PID/limits</c>.</summary>
internal static class FileDescriptorLimit
{
    /// <summary>The soft limit of <paramref name="process"/> (a PID or <c>self</c>); <see cref="long.MaxValue"/> if unknown or unlimited.</summary>
    public static long Read(string process)
    {
        try
        {
            var line = File.ReadLines($"/proc/{process}/limits").FirstOrDefault(text => text.StartsWith("Max open files", StringComparison.Ordinal));
            var fields = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 0 } && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) ? soft : long.MaxValue;
        }
        catch (IOException)
        {
            return long.MaxValue;
        }
    }
}
