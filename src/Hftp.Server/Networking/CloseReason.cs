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

    /// <summary>The server is shutting down.</summary>
    ServerStopping,
}
