namespace Hftp.Protocol;

/// <summary>Why a request line could not be framed. Every fault is fatal to the connection.</summary>
public enum RequestFault
{
    None,

    /// <summary>A <c>\n</c> that is not part of <c>\r\n</c>: 100 BAD EOL.</summary>
    BareLineFeed,

    /// <summary>A <c>\r</c> not followed by <c>\n</c>: 101 BAD REQUEST.</summary>
    StrayCarriageReturn,

    /// <summary>A byte of 0x80 or above: 101 BAD REQUEST.</summary>
    NonAsciiByte,

    /// <summary>The line passed the request-line limit: 101 BAD REQUEST.</summary>
    LineTooLong,

    /// <summary>An empty line, or one of spaces only (2026): 101 BAD REQUEST.</summary>
    EmptyLine,
}

public static class RequestFaults
{
    public static StatusCode Status(this RequestFault fault) => fault switch
    {
        RequestFault.None => StatusCode.Ok,
        RequestFault.BareLineFeed => StatusCode.BadEol,
        _ => StatusCode.BadRequest,
    };

    /// <summary>A short phrase for logs: tells a person what their client did wrong.</summary>
    public static string Explain(this RequestFault fault) => fault switch
    {
        RequestFault.BareLineFeed => "a \\n not preceded by \\r",
        RequestFault.StrayCarriageReturn => "a \\r not followed by \\n",
        RequestFault.NonAsciiByte => "a byte that is not ASCII",
        RequestFault.LineTooLong => "a request line over the length limit",
        RequestFault.EmptyLine => "an empty request line",
        _ => "no fault",
    };
}
