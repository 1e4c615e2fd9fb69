using System.Net;
using Hftp.Protocol;

namespace Hftp.Server;

/// <summary>Everything a server needs to start: where to listen, what to serve, and its limits.</summary>
public sealed record ServerOptions
{
    public IPAddress Address { get; init; } = IPAddress.Any;

    /// <summary>TCP port; 0 asks the system for a free one.</summary>
    public int Port { get; init; } = Syntax.DefaultPort;

    public string Directory { get; init; } = "testdata";

    public long MaxRequestLineLength { get; init; } = Syntax.DefaultMaxRequestLineLength;

    /// <summary>Stack reserved per connection thread; the connection loop is shallow, so thousands fit.</summary>
    public int ConnectionStackSize { get; init; } = 128 * 1024;
}
