using System.Globalization;
using System.Text;

namespace Hftp.Cli;

/// <summary>
/// What <c>PATH.part.state</c> records beside <c>PATH.part</c>: which file and range of it the part holds (by the
/// server's size at the time), and which bytes of it are on disk. A small text file, replaced atomically:
/// <code>
/// hftp-resume 1
/// name big.iso
/// size 1073741824
/// offset 0
/// length 1073741824
/// done 0 268435456
/// done 536870912 805306368
/// </code>
/// <c>done START END</c> lines are byte ranges of the part (0 is the download's first byte), sorted and disjoint.
/// </summary>
public sealed record ResumeState(string Name, long Size, long Offset, long Length, ByteRanges Done)
{
    public const string Header = "hftp-resume 1";

    /// <summary>Reads a state file; null (with the reason) when it is missing or not one this version wrote.</summary>
    public static ResumeState? Read(string path, out string problem)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            problem = "it has no resume state";
            return null;
        }

        problem = "its resume state is unreadable";
        if (lines.Length < 5 || lines[0] != Header
            || !TryField(lines[1], "name", out var name)
            || !TryNumber(lines[2], "size", out var size)
            || !TryNumber(lines[3], "offset", out var offset)
            || !TryNumber(lines[4], "length", out var length))
        {
            return null;
        }

        var done = new ByteRanges();
        long previousEnd = -1;
        foreach (var line in lines.Skip(5))
        {
            var fields = line.Split(' ');
            if (fields.Length != 3 || fields[0] != "done"
                || !long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
                || start <= previousEnd || end <= start || end > length)
            {
                return null;
            }

            done.Add(start, end);
            previousEnd = end;
        }

        problem = string.Empty;
        return new ResumeState(name, size, offset, length, done);
    }

    /// <summary>Why this state does not describe <paramref name="wanted"/>, or null when it does.</summary>
    public string? Mismatch(ResumeState wanted) =>
        Name != wanted.Name ? $"it holds {Name}, not {wanted.Name}"
        : Size != wanted.Size ? string.Create(CultureInfo.InvariantCulture, $"{Name} was {Size} bytes on the server and is now {wanted.Size}")
        : Offset != wanted.Offset || Length != wanted.Length
            ? string.Create(CultureInfo.InvariantCulture, $"it holds {Length} bytes from offset {Offset}, not {wanted.Length} from {wanted.Offset}")
        : null;

    /// <summary>Writes to a temporary file, flushes it to disk, then renames it over <paramref name="path"/>.</summary>
    public void Write(string path)
    {
        var text = new StringBuilder()
            .Append(Header).Append('\n')
            .Append(CultureInfo.InvariantCulture, $"name {Name}\nsize {Size}\noffset {Offset}\nlength {Length}\n");
        foreach (var range in Done.Ranges)
        {
            text.Append(CultureInfo.InvariantCulture, $"done {range.Start} {range.End}\n");
        }

        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.ASCII.GetBytes(text.ToString()));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static bool TryField(string line, string key, out string value)
    {
        value = line.StartsWith(key + " ", StringComparison.Ordinal) ? line[(key.Length + 1)..] : string.Empty;
        return value.Length > 0;
    }

    private static bool TryNumber(string line, string key, out long value)
    {
        value = 0;
        return TryField(line, key, out var text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
