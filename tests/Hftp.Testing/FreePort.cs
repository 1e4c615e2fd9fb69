using System.Net;
using System.Net.Sockets;

namespace Hftp.Testing;

/// <summary>A loopback port free a moment ago, for listeners given a fixed port (the metrics endpoint, from the command line).</summary>
public static class FreePort
{
    public static int OnLoopback()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
