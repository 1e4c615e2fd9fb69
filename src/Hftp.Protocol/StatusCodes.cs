using System.Text;

namespace Hftp.Protocol;

/// <summary>The one table of status messages: the server writes it, the client and the tests read it.</summary>
public static class StatusCodes
{
    private static readonly StatusCode[] All =
    [
        StatusCode.Ok,
        StatusCode.BadEol,
        StatusCode.BadRequest,
        StatusCode.InternalServerError,
        StatusCode.NoSuchCommand,
        StatusCode.InvalidArguments,
        StatusCode.FileNotFound,
        StatusCode.OffsetExceedsFileSize,
    ];

    // Status lines are precomputed so replying never formats or allocates.
    private static readonly byte[][] StatusLines = BuildStatusLines();

    public static IReadOnlyList<StatusCode> Values => All;

    public static string Message(this StatusCode code) => code switch
    {
        StatusCode.Ok => "OK",
        StatusCode.BadEol => "BAD EOL",
        StatusCode.BadRequest => "BAD REQUEST",
        StatusCode.InternalServerError => "INTERNAL SERVER ERROR",
        StatusCode.NoSuchCommand => "NO SUCH COMMAND",
        StatusCode.InvalidArguments => "INVALID ARGUMENTS FOR COMMAND",
        StatusCode.FileNotFound => "FILE NOT FOUND",
        StatusCode.OffsetExceedsFileSize => "OFFSET EXCEEDS FILE SIZE",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Not an HFTP status code."),
    };

    /// <summary>1xx statuses end the connection once the status line is sent.</summary>
    public static bool IsFatal(this StatusCode code) => (int)code is >= 100 and < 200;

    /// <summary>The full status line, <c>CODE MESSAGE\r\n</c>, as ASCII bytes.</summary>
    public static ReadOnlySpan<byte> StatusLine(this StatusCode code) => StatusLines[IndexOf(code)];

    /// <summary>The full status line, <c>CODE MESSAGE\r\n</c>, as text: what a reply starts with.</summary>
    public static string StatusLineText(this StatusCode code) => code.Describe() + Syntax.LineTerminatorText;

    /// <summary>The status line as text, without the terminator: what logs and error messages show.</summary>
    public static string Describe(this StatusCode code) => $"{(int)code} {code.Message()}";

    public static bool TryParse(int number, out StatusCode code)
    {
        foreach (var candidate in All)
        {
            if ((int)candidate == number)
            {
                code = candidate;
                return true;
            }
        }

        code = default;
        return false;
    }

    private static int IndexOf(StatusCode code)
    {
        for (var i = 0; i < All.Length; i++)
        {
            if (All[i] == code)
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(code), code, "Not an HFTP status code.");
    }

    private static byte[][] BuildStatusLines()
    {
        var lines = new byte[All.Length][];
        for (var i = 0; i < All.Length; i++)
        {
            lines[i] = Encoding.ASCII.GetBytes(All[i].Describe() + Syntax.LineTerminatorText);
        }

        return lines;
    }
}
