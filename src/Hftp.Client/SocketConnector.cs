using System.Net;
using System.Net.Sockets;

namespace Hftp.Client;

/// <summary>
/// Opens a TCP connection the way C programs do, so that it works under <c>torsocks</c> too: resolve the name with
/// <c>getaddrinfo</c>, then try each address with a socket of that address's own family. (A dual-mode IPv6 socket,
/// what <c>new Socket(SocketType.Stream, ...)</c> makes, is refused by torsocks.)
/// </summary>
internal static class SocketConnector
{
    /// <summary>
    /// Connects to the first address of <paramref name="host"/> that accepts; every failure, resolving, creating
    /// a socket or connecting, is an <see cref="HftpConnectionException"/> that names <paramref name="peer"/>.
    /// Cancellation (the caller's, or a connect timeout) is left to the caller to word.
    /// </summary>
    public static async Task<Socket> ConnectAsync(string host, int port, string peer, CancellationToken cancellationToken)
    {
        var addresses = await ResolveAsync(host, peer, cancellationToken);
        var reason = "no address";
        foreach (var address in addresses)
        {
            Socket socket;
            try
            {
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            }
            catch (SocketException exception)
            {
                reason = $"cannot create an {FamilyName(address)} socket: {exception.Message}{TorsocksHint(address)}";
                continue;
            }

            try
            {
                // On a pool thread: under torsocks connect() does the whole SOCKS5 handshake with Tor before it
                // returns, blocking its caller, and the token must still end the wait. Disposing the socket then
                // (below) unblocks torsocks.
                var endPoint = new IPEndPoint(address, port);
                await Task.Run(() => socket.ConnectAsync(endPoint, cancellationToken).AsTask(), cancellationToken)
                    .WaitAsync(cancellationToken);
                socket.NoDelay = true;
                return socket;
            }
            catch (SocketException exception)
            {
                socket.Dispose();
                reason = addresses.Length > 1 ? $"{exception.Message} (at {address})" : exception.Message;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new HftpConnectionException($"Cannot connect to {peer}: {reason}");
    }

    /// <summary>The addresses of <paramref name="host"/>: itself when it is an address, else what the resolver says.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, string peer, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        try
        {
            // The blocking getaddrinfo on a pool thread, not Dns.GetHostAddressesAsync: on Linux that one calls
            // getaddrinfo_a, which torsocks does not intercept, and torsocks must see the name to send a .onion
            // one through Tor. A resolver that hangs is abandoned when the token fires.
            var addresses = await Task.Run(() => Dns.GetHostAddresses(host), cancellationToken).WaitAsync(cancellationToken);
            return addresses.Length > 0
                ? addresses
                : throw new HftpConnectionException($"Cannot connect to {peer}: {host} has no address");
        }
        catch (SocketException exception)
        {
            throw new HftpConnectionException($"Cannot connect to {peer}: cannot resolve {host}: {exception.Message}", exception);
        }
    }

    public static string Describe(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    // torsocks fails every IPv6 socket (ENOSYS, which .NET calls an unknown error): say so instead of leaving a riddle.
    private static string TorsocksHint(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6
        && (Environment.GetEnvironmentVariable("LD_PRELOAD") ?? string.Empty).Contains("torsocks", StringComparison.Ordinal)
            ? " (torsocks allows IPv4 only: use an IPv4 address or a name)"
            : string.Empty;

    private static string FamilyName(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
}
