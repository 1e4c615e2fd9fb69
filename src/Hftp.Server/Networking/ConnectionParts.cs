using Hftp.Protocol;
using Hftp.Server.Files;
using Serilog;

namespace Hftp.Server.Networking;

/// <summary>
/// What a connection needs for its whole life and can reuse: the socket, the request framing state, the reply writer
/// and the executor. They belong to a connection thread, made with it off the accept loop's path, and are reset for
/// each connection the thread serves, so accepting a connection allocates nothing (with ten thousand threads alive,
/// every collection has to stop and scan all of them).
/// </summary>
internal sealed class ConnectionParts
{
    public ConnectionParts(long maxRequestLineLength, FileStore files, SliceEncoders sliceEncoders, ILogger logger)
    {
        Reader = new RequestReader(maxRequestLineLength);
        Writer = new ReplyWriter();
        Executor = new RequestExecutor(files, sliceEncoders, Writer, Socket, logger);
    }

    public ClientSocket Socket { get; } = new();

    public RequestReader Reader { get; }

    public ReplyWriter Writer { get; }

    public RequestExecutor Executor { get; }
}
