using System.Globalization;
using System.Numerics;
using System.Text;

namespace Hftp.Protocol.Tests;

/// <summary>
/// PROTOCOL.md's request rules written a second time, plainly and on strings, without the reader's running
/// facts: what the parser must decide for a line, and where it must stop reading. Tests compare the two.
/// </summary>
internal static class RequestOracle
{
    private static readonly Dictionary<string, (Command Command, int Arguments)> CommandsByName = new(StringComparer.Ordinal)
    {
        ["get_file_listing"] = (Command.GetFileListing, 0),
        ["get_metadata"] = (Command.GetMetadata, 1),
        ["get_slice"] = (Command.GetSlice, 3),
        ["help"] = (Command.Help, 0),
        ["quit"] = (Command.Quit, 0),
    };

    /// <summary>
    /// The verdict on the first request in <paramref name="input"/> and how many bytes it takes: up to its
    /// <c>\r\n</c>, or up to and including the first byte that makes it faulty. Null when neither is there yet.
    /// </summary>
    public static (ParsedRequest Request, int Consumed)? Judge(ReadOnlySpan<byte> input)
    {
        for (var i = 0; i < input.Length; i++)
        {
            var afterCarriageReturn = i > 0 && input[i - 1] == '\r';
            if (afterCarriageReturn && input[i] == '\n')
            {
                return (ParseLine(Encoding.ASCII.GetString(input[..(i - 1)])), i + 1);
            }

            if (afterCarriageReturn)
            {
                return (ParsedRequest.Of(Request.Faulted(RequestFault.StrayCarriageReturn)), i + 1);
            }

            if (input[i] == '\n')
            {
                return (ParsedRequest.Of(Request.Faulted(RequestFault.BareLineFeed)), i + 1);
            }

            if (input[i] >= 0x80)
            {
                return (ParsedRequest.Of(Request.Faulted(RequestFault.NonAsciiByte)), i + 1);
            }
        }

        return null;
    }

    // Order of checks: empty line (101), command (200), then argument count and form, "raw" included (201).
    private static ParsedRequest ParseLine(string line)
    {
        if (line.All(character => character == ' '))
        {
            return ParsedRequest.Of(Request.Faulted(RequestFault.EmptyLine));
        }

        var elements = line.Split(' ');
        if (!CommandsByName.TryGetValue(elements[0], out var command))
        {
            return ParsedRequest.Of(Request.Rejected(StatusCode.NoSuchCommand));
        }

        var arguments = elements[1..];
        var isRaw = command.Command == Command.GetSlice && arguments.Length == 4;
        if ((arguments.Length != command.Arguments && !isRaw) || arguments.Any(argument => argument.Length == 0))
        {
            return ParsedRequest.Of(Request.Rejected(StatusCode.InvalidArguments));
        }

        if (isRaw)
        {
            if (arguments[3] != "raw")
            {
                return ParsedRequest.Of(Request.Rejected(StatusCode.InvalidArguments));
            }

            arguments = arguments[..3];
        }

        if (arguments.Length == 0)
        {
            return new ParsedRequest(StatusCode.Ok, RequestFault.None, command.Command, null, 0, 0);
        }

        var fileName = arguments[0];
        if (!fileName.All(IsFileNameCharacter) || !arguments[1..].All(argument => argument.All(char.IsAsciiDigit)))
        {
            return ParsedRequest.Of(Request.Rejected(StatusCode.InvalidArguments));
        }

        var offset = arguments.Length == 3 ? Saturated(arguments[1]) : 0;
        var size = arguments.Length == 3 ? Saturated(arguments[2]) : 0;
        return new ParsedRequest(StatusCode.Ok, RequestFault.None, command.Command, fileName, offset, size, isRaw);
    }

    private static bool IsFileNameCharacter(char character) => char.IsAsciiLetterOrDigit(character) || character is '.' or '-' or '_';

    // Beyond 64 bits no file is that large: the reply is 203, so the value only needs to stay too large.
    private static ulong Saturated(string digits)
    {
        var value = BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        return value > ulong.MaxValue ? ulong.MaxValue : (ulong)value;
    }
}
