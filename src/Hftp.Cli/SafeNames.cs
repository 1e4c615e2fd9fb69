using System.Text;

namespace Hftp.Cli;

/// <summary>
/// Names from a server shown as <c>ls -b</c> shows them: a byte that could move the cursor, retitle the window or
/// hide what follows (controls, DEL, bytes that are not UTF-8, Unicode format and separator characters) becomes a
/// C escape (<c>\n</c>, <c>\033</c>), as do a backslash and a space, so every name is one visible line.
/// </summary>
internal static class SafeNames
{
    public static string Escape(ReadOnlySpan<byte> name)
    {
        var text = new StringBuilder(name.Length);
        while (!name.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(name, out var rune, out var consumed);
            if (status != System.Buffers.OperationStatus.Done || !IsShown(rune))
            {
                foreach (var value in name[..consumed])
                {
                    AppendEscaped(text, value);
                }
            }
            else if (rune.Value is '\\' or ' ')
            {
                text.Append('\\').Append((char)rune.Value);
            }
            else
            {
                text.Append(rune.ToString());
            }

            name = name[consumed..];
        }

        return text.ToString();
    }

    private static bool IsShown(Rune rune) => Rune.GetUnicodeCategory(rune) is not (
        System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
        or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator
        or System.Globalization.UnicodeCategory.PrivateUse or System.Globalization.UnicodeCategory.Surrogate
        or System.Globalization.UnicodeCategory.OtherNotAssigned);

    private static void AppendEscaped(StringBuilder text, byte value)
    {
        var escape = value switch
        {
            0x07 => 'a',
            0x08 => 'b',
            0x09 => 't',
            0x0A => 'n',
            0x0B => 'v',
            0x0C => 'f',
            0x0D => 'r',
            _ => '\0',
        };
        text.Append('\\');
        if (escape != '\0')
        {
            text.Append(escape);
        }
        else
        {
            text.Append((char)('0' + (value >> 6))).Append((char)('0' + ((value >> 3) & 7))).Append((char)('0' + (value & 7)));
        }
    }
}
