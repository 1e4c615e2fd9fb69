using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>What every connection needs the same of: a request reader, a short-reply buffer, a file object and the name asked
/// about last. A connection thread keeps one and lends it to each connection it runs in turn, so
/// accepting a client no longer makes them anew (about 6 of the 10 KB a connection allocated); it goes with the
/// thread when the thread ends after a burst. With 10,000 connection threads alive each collection stops and scans
/// them all, about 130 ms, so what a new client allocates decides how often the clients beside it stall.</summary>
internal sealed class ConnectionScratch(ServerOptions options)
{
    public RequestReader Reader { get; } = new(options.MaxRequestLineLength);

    /// <summary>Made at the first short reply, not with the thread: an idle connection holds none.</summary>
    public byte[]? ShortReplyBuffer { get; set; }

    /// <summary>Opened and closed by each slice: opening allocates nothing.</summary>
    public ServedFile File { get; } = new();

    /// <summary>The name asked about last: asked again, it is examined without allocating, and within a batch not at all.</summary>
    public RecentName RecentName { get; } = new();

    /// <summary>Readies it for the next connection: nothing of the last one's requests carries over but the recent name, which
    /// is examined afresh at every use, so a thread whose clients ask for the same file looks it up without allocating.</summary>
    public ConnectionScratch Reset()
    {
        Reader.Reset();
        RecentName.BeginBatch();
        return this;
    }
}
