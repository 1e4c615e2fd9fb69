namespace Hftp.Server.Networking;

/// <summary>Why a connection ended; logged on its closing line.</summary>
internal enum CloseReason
{
    /// <summary>The client asked to with <c>quit</c>.</summary>
    Quit,

    /// <summary>The client closed its end.</summary>
    ClientClosed,

    /// <summary>The client sent a request that earns a fatal 1xx status.</summary>
    ClientFault,

    /// <summary>The server failed to read a file; 199 was sent if it still could be.</summary>
    ServerFault,

    /// <summary>The network failed: reset, broken pipe.</summary>
    NetworkError,

    /// <summary>The server is shutting down and cut the connection (its shutdown timeout ran out).</summary>
    ServerStopping,

    /// <summary>No byte of a next request came within the idle timeout.</summary>
    IdleTimeout,

    /// <summary>A request line was not complete within the request timeout of its first byte.</summary>
    RequestTimeout,

    /// <summary>The client read nothing of a reply for the send timeout.</summary>
    SendTimeout,

    /// <summary>The server is shutting down and the connection was waiting for a request: closed at once.</summary>
    ShutdownWhileIdle,

    /// <summary>The server is shutting down: the reply under way was finished, then the connection closed.</summary>
    ShutdownAfterReply,

    /// <summary>With --proxy-protocol: the connection did not start with a valid PROXY protocol header.</summary>
    BadProxyHeader,
}
