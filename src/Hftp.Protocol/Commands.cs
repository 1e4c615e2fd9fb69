namespace Hftp.Protocol;

/// <summary>Command names on the wire and how many arguments each takes: the one command table.</summary>
public static class Commands
{
    /// <summary>Longest command name (<c>get_file_listing</c>); a longer first element is no command.</summary>
    public const int MaxNameLength = 16;

    private static readonly Command[] AllCommands = [Command.GetFileListing, Command.GetMetadata, Command.GetSlice, Command.Help, Command.Quit];

    public static IReadOnlyList<Command> All => AllCommands;

    public static string Name(this Command command) => command switch
    {
        Command.GetFileListing => "get_file_listing",
        Command.GetMetadata => "get_metadata",
        Command.GetSlice => "get_slice",
        Command.Help => "help",
        Command.Quit => "quit",
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not an HFTP command."),
    };

    /// <summary>The name as the ASCII (hence UTF-8) bytes a request starts with.</summary>
    public static ReadOnlySpan<byte> Utf8Name(this Command command) => command switch
    {
        Command.GetFileListing => "get_file_listing"u8,
        Command.GetMetadata => "get_metadata"u8,
        Command.GetSlice => "get_slice"u8,
        Command.Help => "help"u8,
        Command.Quit => "quit"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not an HFTP command."),
    };

    /// <summary>Arguments the command takes; <c>get_slice</c> may take one more, <see cref="Syntax.RawToken"/> (2026).</summary>
    public static int ArgumentCount(this Command command) => command switch
    {
        Command.GetMetadata => 1,
        Command.GetSlice => 3,
        _ => 0,
    };

    /// <summary>Matches a command name exactly; names are case-sensitive.</summary>
    public static bool TryParse(ReadOnlySpan<byte> name, out Command command)
    {
        foreach (var candidate in AllCommands)
        {
            if (name.SequenceEqual(candidate.Utf8Name()))
            {
                command = candidate;
                return true;
            }
        }

        command = default;
        return false;
    }

    /// <summary>Matches a command name exactly, as typed; names are case-sensitive.</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out Command command)
    {
        Span<byte> bytes = stackalloc byte[MaxNameLength];
        if (name.Length > MaxNameLength || System.Text.Ascii.FromUtf16(name, bytes, out var written) != System.Buffers.OperationStatus.Done)
        {
            command = default;
            return false;
        }

        return TryParse(bytes[..written], out command);
    }

    /// <summary>
    /// The command a request line starts with: its first element, up to the first space, as the server reads it.
    /// False when that element is no command (the server answers such a line 200).
    /// </summary>
    public static bool TryParseFirstElement(ReadOnlySpan<char> line, out Command command)
    {
        var space = line.IndexOf((char)Syntax.Space);
        return TryParse(space < 0 ? line : line[..space], out command);
    }
}
