using System.Globalization;
using System.Text.Unicode;

namespace Hftp.Protocol;

/// <summary>
/// Formats requests as PROTOCOL.md puts them on the wire: the command, its arguments each after one space, then
/// <c>\r\n</c>. The arguments are written as given: callers that take names from users check them with
/// <see cref="Syntax.IsValidFileName"/> first.
/// </summary>
public static class Requests
{
    /// <summary>Enough bytes for any request with a FILENAME of at most <see cref="Syntax.MaxFileNameLength"/>.</summary>
    public const int MaxFormattedLength = Commands.MaxNameLength + 1 + Syntax.MaxFileNameLength + (2 * (1 + 20)) + 2;

    /// <summary><c>get_file_listing\r\n</c>.</summary>
    public static string GetFileListing { get; } = Line(Command.GetFileListing.Name());

    /// <summary><c>quit\r\n</c>.</summary>
    public static string Quit { get; } = Line(Command.Quit.Name());

    /// <summary><c>get_metadata NAME\r\n</c>.</summary>
    public static string GetMetadata(string fileName) => Line($"{Command.GetMetadata.Name()} {fileName}");

    /// <summary><c>get_slice NAME OFFSET SIZE\r\n</c>.</summary>
    public static string GetSlice(string fileName, long offset, long size) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"{Command.GetSlice.Name()} {fileName} {offset} {size}"));

    /// <summary>Ends a request typed or built elsewhere with the terminator.</summary>
    public static string Line(string request) => request + Syntax.LineTerminatorText;

    /// <summary>Writes <c>get_metadata NAME\r\n</c> into <paramref name="destination"/> without allocating.</summary>
    public static bool TryWriteGetMetadata(ReadOnlySpan<char> fileName, Span<byte> destination, out int written) =>
        Utf8.TryWrite(destination, CultureInfo.InvariantCulture, $"{Command.GetMetadata.Name()} {fileName}\r\n", out written);

    /// <summary>Writes <c>get_slice NAME OFFSET SIZE\r\n</c> into <paramref name="destination"/> without allocating.</summary>
    public static bool TryWriteGetSlice(ReadOnlySpan<char> fileName, long offset, long size, Span<byte> destination, out int written) =>
        Utf8.TryWrite(destination, CultureInfo.InvariantCulture, $"{Command.GetSlice.Name()} {fileName} {offset} {size}\r\n", out written);

    /// <summary>Writes a request without arguments (<c>get_file_listing</c>, <c>quit</c>) into <paramref name="destination"/>.</summary>
    public static bool TryWrite(Command command, Span<byte> destination, out int written)
    {
        if (command.ArgumentCount() != 0)
        {
            throw new ArgumentException($"{command.Name()} takes arguments; use its own writer.", nameof(command));
        }

        var name = command.Utf8Name();
        written = name.Length + Syntax.LineTerminator.Length;
        if (destination.Length < written)
        {
            written = 0;
            return false;
        }

        name.CopyTo(destination);
        Syntax.LineTerminator.CopyTo(destination[name.Length..]);
        return true;
    }
}
