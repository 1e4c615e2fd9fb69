using System.Net;
using System.Net.Sockets;

namespace Hftp.Testing;

/// <summary>A loopback port free a moment ago, for listeners given a fixed port (the metrics endpoint, from the command line).</summary>
public static class FreePort
{
    public static int OnLoopback()
    {
        // Below the ephemeral range, which the kernel hands to every client socket and port-0 listener: a port picked
        // from it was at times taken by another test's connection before the server bound it (EADDRINUSE in CI).
        var below = Math.Max(EphemeralRangeStart(), 10_001);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(10_000, below);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Bound by someone else: try another.
            }
        }

        throw new InvalidOperationException($"no free loopback port from 10000 to {below}");
    }

    // Linux says where its range starts; 32768 is at or below every system's start.
    private static int EphemeralRangeStart()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
                System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return 32768;
        }
    }
}
