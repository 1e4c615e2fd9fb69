namespace Hftp.Benchmark;

/// <summary>What the soak sends in one go, and the exact bytes PROTOCOL.md says must come back.</summary>
/// <param name="Requests">Request lines in <paramref name="Request"/> (more than one when pipelined).</param>
/// <param name="ServerCloses">After the reply the server must close the connection (fatal status or quit).</param>
/// <param name="ByteAtATime">Send each byte of the request on its own.</param>
internal sealed record SoakExchange(SoakKind Kind, byte[] Request, byte[] Reply, int Requests, bool ServerCloses, bool ByteAtATime);

/// <summary>The soak's request mix; each kind is counted on its own.</summary>
internal enum SoakKind
{
    Listing,
    Metadata,
    Slice,
    UnknownCommand,
    BadArguments,
    MissingFile,
    OutOfRange,
    Pipelined,
    ByteAtATime,
    Fatal,
    Quit,
}
