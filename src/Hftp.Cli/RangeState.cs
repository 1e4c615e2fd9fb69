using System.Globalization;

namespace Hftp.Cli;

/// <summary>
/// <c>PATH.part.ranges</c>: one line per range, <c>START LENGTH DONE</c>. Written when a parallel download
/// stops, read by <c>--continue</c>; a file that does not match the ranges asked for means starting over.
/// </summary>
internal static class RangeState
{
    public static long[] Read(string path, long[] starts, long[] lengths)
    {
        var done = new long[starts.Length];
        if (!File.Exists(path))
        {
            return done;
        }

        var lines = File.ReadAllLines(path);
        if (lines.Length != starts.Length)
        {
            return done;
        }

        for (var index = 0; index < lines.Length; index++)
        {
            var fields = lines[index].Split(' ');
            if (fields.Length != 3
                || !long.TryParse(fields[0], CultureInfo.InvariantCulture, out var start) || start != starts[index]
                || !long.TryParse(fields[1], CultureInfo.InvariantCulture, out var length) || length != lengths[index]
                || !long.TryParse(fields[2], CultureInfo.InvariantCulture, out var written) || written < 0 || written > length)
            {
                return new long[starts.Length];
            }

            done[index] = written;
        }

        return done;
    }

    public static void Write(string path, long[] starts, long[] lengths, long[] done) =>
        File.WriteAllLines(path, starts.Select((start, index) =>
            string.Create(CultureInfo.InvariantCulture, $"{start} {lengths[index]} {done[index]}")));
}
