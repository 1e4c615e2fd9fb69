using System.Net.Sockets;
using Hftp.Protocol;
using Hftp.Server.Files;

namespace Hftp.Server.Networking;

/// <summary>What every connection needs the same of: a request reader, deadline, reply writer, executor (with the name
/// asked about last) and file object. Made with its connection thread, on the thread starting it, and lent to each
/// connection the thread runs in turn: accepting a client no longer makes them anew (6.3 of the 7 KB a connection
/// allocated), and the connection thread allocates nothing of its own (see <see cref="ServedNames"/>). With 10,000
/// connection threads alive each collection stops and scans them all, about 130 ms, so what a new client allocates
/// decides how often the clients beside it stall.</summary>
internal sealed class ConnectionScratch
{
    public ConnectionScratch(ConnectionServices services)
    {
        Reader = new(services.Options.MaxRequestLineLength);
        Deadline = new SocketDeadline(services.Time);
        Writer = new ReplyWriter(Deadline, services.Buffers, services.SmallBuffers, services.Options, services.Metrics);
        Executor = new RequestExecutor(services, Writer, this);
    }

    public RequestReader Reader { get; }
    public SocketDeadline Deadline { get; }
    public ReplyWriter Writer { get; }
    public RequestExecutor Executor { get; }

    /// <summary>Opened and closed by each slice, which makes only its handle.</summary>
    public ServedFile File { get; } = new();

    /// <summary>Readies it for the next connection, on <paramref name="socket"/>: nothing of the last one's requests carries
    /// over but the name asked about last, examined afresh at every use.</summary>
    public ConnectionScratch Reset(Socket socket)
    {
        Reader.Reset();
        Executor.BeginBatch();
        Deadline.Attach(socket);
        Writer.Attach(socket);
        return this;
    }
}
