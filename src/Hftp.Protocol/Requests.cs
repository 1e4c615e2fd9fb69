using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Hftp.Protocol;

/// <summary>
/// Formats requests as PROTOCOL.md puts them on the wire: the command, its arguments each after one space, then
/// <c>\r\n</c>. The arguments are written as given: callers that take names from users check them with
/// <see cref="Syntax.IsValidFileName"/> first.
/// </summary>
public static class Requests
{
    /// <summary>Enough bytes for any request with a FILENAME of at most <see cref="Syntax.MaxFileNameLength"/>.</summary>
    public const int MaxFormattedLength = Commands.MaxNameLength + 1 + Syntax.MaxFileNameLength + (2 * (1 + 20)) + 4 + 2;

    /// <summary><c>get_file_listing\r\n</c>.</summary>
    public static string GetFileListing { get; } = Line(Command.GetFileListing.Name());

    /// <summary><c>help\r\n</c> (2026).</summary>
    public static string Help { get; } = Line(Command.Help.Name());

    /// <summary><c>quit\r\n</c>.</summary>
    public static string Quit { get; } = Line(Command.Quit.Name());

    /// <summary><c>get_metadata NAME\r\n</c>.</summary>
    public static string GetMetadata(string fileName) => Line($"{Command.GetMetadata.Name()} {fileName}");

    /// <summary><c>get_slice NAME OFFSET SIZE\r\n</c>.</summary>
    public static string GetSlice(string fileName, long offset, long size) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"{Command.GetSlice.Name()} {fileName} {offset} {size}"));

    /// <summary><c>get_slice NAME OFFSET SIZE raw\r\n</c> (2026): the reply carries the bytes themselves.</summary>
    public static string GetRawSlice(string fileName, long offset, long size) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"{Command.GetSlice.Name()} {fileName} {offset} {size} raw"));

    /// <summary>Ends a request typed or built elsewhere with the terminator.</summary>
    public static string Line(string request) => request + Syntax.LineTerminatorText;

    /// <summary>Writes <c>get_metadata NAME\r\n</c> into <paramref name="destination"/> without allocating.</summary>
    public static bool TryWriteGetMetadata(ReadOnlySpan<char> fileName, Span<byte> destination, out int written)
    {
        var position = 0;
        var fits = TryAppend(Command.GetMetadata.Utf8Name(), destination, ref position)
            && TryAppendArgument(fileName, destination, ref position)
            && TryAppend(Syntax.LineTerminator, destination, ref position);
        written = fits ? position : 0;
        return fits;
    }

    /// <summary>Writes <c>get_slice NAME OFFSET SIZE\r\n</c> into <paramref name="destination"/> without allocating.</summary>
    public static bool TryWriteGetSlice(ReadOnlySpan<char> fileName, long offset, long size, Span<byte> destination, out int written) =>
        TryWriteGetSlice(fileName, offset, size, raw: false, destination, out written);

    /// <summary>
    /// Writes <c>get_slice NAME OFFSET SIZE\r\n</c>, or with <paramref name="raw"/> <c>get_slice NAME OFFSET SIZE raw\r\n</c>,
    /// into <paramref name="destination"/> without allocating.
    /// </summary>
    public static bool TryWriteGetSlice(ReadOnlySpan<char> fileName, long offset, long size, bool raw, Span<byte> destination, out int written)
    {
        var position = 0;
        var fits = TryAppend(Command.GetSlice.Utf8Name(), destination, ref position)
            && TryAppendArgument(fileName, destination, ref position)
            && TryAppendArgument(offset, destination, ref position)
            && TryAppendArgument(size, destination, ref position)
            && (!raw || (TryAppend(" "u8, destination, ref position) && TryAppend(Syntax.RawToken, destination, ref position)))
            && TryAppend(Syntax.LineTerminator, destination, ref position);
        written = fits ? position : 0;
        return fits;
    }

    /// <summary>Writes a request without arguments (<c>get_file_listing</c>, <c>help</c>, <c>quit</c>) into <paramref name="destination"/>.</summary>
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

    private static bool TryAppend(ReadOnlySpan<byte> bytes, Span<byte> destination, ref int position)
    {
        if (!bytes.TryCopyTo(destination[position..]))
        {
            return false;
        }

        position += bytes.Length;
        return true;
    }

    // Non-generic formatting on purpose: it allocates nothing even before the JIT has optimised the caller.
    private static bool TryAppendArgument(ReadOnlySpan<char> text, Span<byte> destination, ref int position)
    {
        if (position >= destination.Length)
        {
            return false;
        }

        destination[position] = Syntax.Space;
        var fits = Encoding.UTF8.TryGetBytes(text, destination[(position + 1)..], out var count);
        position += 1 + count;
        return fits;
    }

    private static bool TryAppendArgument(long number, Span<byte> destination, ref int position)
    {
        if (position >= destination.Length || !Utf8Formatter.TryFormat(number, destination[(position + 1)..], out var count))
        {
            return false;
        }

        destination[position] = Syntax.Space;
        position += 1 + count;
        return true;
    }
}
