namespace Hftp.Protocol;

/// <summary>Command names on the wire and how many arguments each takes.</summary>
public static class Commands
{
    /// <summary>Longest command name (<c>get_file_listing</c>); a longer first element is no command.</summary>
    public const int MaxNameLength = 16;

    public static string Name(this Command command) => command switch
    {
        Command.GetFileListing => "get_file_listing",
        Command.GetMetadata => "get_metadata",
        Command.GetSlice => "get_slice",
        Command.Quit => "quit",
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "Not an HFTP command."),
    };

    public static int ArgumentCount(this Command command) => command switch
    {
        Command.GetMetadata => 1,
        Command.GetSlice => 3,
        _ => 0,
    };

    /// <summary>Matches a command name exactly; names are case-sensitive.</summary>
    public static bool TryParse(ReadOnlySpan<byte> name, out Command command)
    {
        if (name.SequenceEqual("get_file_listing"u8))
        {
            command = Command.GetFileListing;
        }
        else if (name.SequenceEqual("get_metadata"u8))
        {
            command = Command.GetMetadata;
        }
        else if (name.SequenceEqual("get_slice"u8))
        {
            command = Command.GetSlice;
        }
        else if (name.SequenceEqual("quit"u8))
        {
            command = Command.Quit;
        }
        else
        {
            command = default;
            return false;
        }

        return true;
    }
}
