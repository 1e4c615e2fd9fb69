using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>What every connection needs the same of: a request reader, deadline, reply writer and executor, a file object and
/// the name asked about last. A connection thread keeps one and lends it to each connection it runs in turn, so
/// accepting a client no longer makes them anew (6.3 of the 7 KB a connection allocated; what is left is the runtime's
/// socket and the connection); it goes with the thread when the thread ends after a burst. With 10,000 connection
/// threads alive each collection stops and scans them all, about 130 ms, so what a new client allocates decides how
/// often the clients beside it stall.</summary>
internal sealed class ConnectionScratch
{
    public ConnectionScratch(ConnectionServices services)
    {
        Reader = new(services.Options.MaxRequestLineLength);
        Deadline = new SocketDeadline(services.Time);
        Writer = new ReplyWriter(Deadline, services.Buffers, services.Options, services.Metrics);
        Executor = new RequestExecutor(services, Writer, this);
    }

    public RequestReader Reader { get; }
    public SocketDeadline Deadline { get; }
    public ReplyWriter Writer { get; }
    public RequestExecutor Executor { get; }

    /// <summary>Opened and closed by each slice: opening allocates nothing.</summary>
    public ServedFile File { get; } = new();

    /// <summary>The name asked about last: asked again, it is examined without allocating, and within a batch not at all.</summary>
    public RecentName RecentName { get; } = new();

    /// <summary>Readies it for the next connection, on <paramref name="socket"/>: nothing of the last one's requests carries
    /// over but the recent name, examined afresh at every use (a thread whose clients ask for one file looks it up once).</summary>
    public ConnectionScratch Reset(Socket socket)
    {
        Reader.Reset();
        RecentName.BeginBatch();
        Deadline.Attach(socket);
        Writer.Attach(socket);
        return this;
    }
}
