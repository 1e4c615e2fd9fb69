using System.Globalization;
using System.Text;

namespace Hftp.Cli;

/// <summary>
/// What <c>PATH.part.state</c> records beside <c>PATH.part</c>: where its bytes come from (server and file, with the
/// file's size at the time), which range of the file the part holds, and which bytes of it are on disk:
/// <code>
/// hftp-resume 2
/// host files.example.org
/// port 19500
/// name big.iso
/// size 1073741824
/// offset 0
/// length 1073741824
/// done 0 268435456
/// done 536870912 805306368
/// </code>
/// <c>done START END</c> lines are byte ranges of the part (0 is the download's first byte), sorted and disjoint.
/// </summary>
public sealed record ResumeState(string Host, int Port, string Name, long Size, long Offset, long Length, ByteRanges Done)
{
    public const string Header = "hftp-resume 2";

    private const int FixedLines = 7;

    /// <summary>Reads a state file; null (with the reason) when it is missing or not one this version wrote.</summary>
    public static ResumeState? Read(string path, out string problem) => Parse(ReadIfPresent(path), out problem);

    /// <summary>Reads a state file's text (null: there is none); null (with the reason) when it is not one this version wrote.</summary>
    public static ResumeState? Parse(string? text, out string problem)
    {
        if (text is null)
        {
            problem = "it has no resume state";
            return null;
        }

        var lines = text.Split('\n');
        problem = lines[0].StartsWith("hftp-resume ", StringComparison.Ordinal) && lines[0] != Header
            ? "its resume state was written by another version of hftp"
            : "its resume state is unreadable";
        if (lines.Length < FixedLines + 1 || lines[0] != Header || lines[^1].Length != 0
            || !TryField(lines[1], "host", out var host)
            || !TryNumber(lines[2], "port", out var port) || port is < 1 or > 65535
            || !TryField(lines[3], "name", out var name)
            || !TryNumber(lines[4], "size", out var size)
            || !TryNumber(lines[5], "offset", out var offset)
            || !TryNumber(lines[6], "length", out var length))
        {
            return null;
        }

        var done = new ByteRanges();
        long previousEnd = -1;
        foreach (var line in lines[FixedLines..^1])
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
        return new ResumeState(host, (int)port, name, size, offset, length, done);
    }

    /// <summary>Why this state's bytes are not from the server and file of <paramref name="wanted"/>, or null when they are.</summary>
    public string? SourceMismatch(ResumeState wanted) =>
        Host != wanted.Host || Port != wanted.Port
            ? string.Create(CultureInfo.InvariantCulture, $"its bytes came from {Host}:{Port}, not {wanted.Host}:{wanted.Port}")
        : Name != wanted.Name ? $"it holds {Name}, not {wanted.Name}"
        : null;

    /// <summary>Why this state does not describe the same bytes as <paramref name="wanted"/> (the file changed, another range), or null.</summary>
    public string? ContentMismatch(ResumeState wanted) =>
        Size != wanted.Size ? string.Create(CultureInfo.InvariantCulture, $"{Name} was {Size} bytes on the server and is now {wanted.Size}")
        : Offset != wanted.Offset || Length != wanted.Length
            ? string.Create(CultureInfo.InvariantCulture, $"it holds {Length} bytes from offset {Offset}, not {wanted.Length} from {wanted.Offset}")
        : null;

    /// <summary>The file's text.</summary>
    public byte[] Format()
    {
        var text = new StringBuilder()
            .Append(Header).Append('\n')
            .Append(CultureInfo.InvariantCulture, $"host {Host}\nport {Port}\nname {Name}\nsize {Size}\noffset {Offset}\nlength {Length}\n");
        foreach (var range in Done.Ranges)
        {
            text.Append(CultureInfo.InvariantCulture, $"done {range.Start} {range.End}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
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

    // A download that finishes removes its state at any moment: missing is an answer, not an error (no check first,
    // which would leave the moment between the check and the read).
    private static string? ReadIfPresent(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
