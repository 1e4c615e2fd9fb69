using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hftp.Client;

/// <summary>
/// Opens a connection to a server through a SOCKS5 proxy (RFC 1928, CONNECT; RFC 1929 username/password when
/// the proxy URL carries them), then hands over the socket as if it were connected to the server. Every failure
/// is one <see cref="HftpConnectionException"/> whose message says which step failed and why, in the proxy's words.
/// </summary>
internal static class Socks5Connector
{
    private const byte Version = 5;
    private const byte NoAuthentication = 0x00;
    private const byte UsernamePassword = 0x02;
    private const byte NoAcceptableMethod = 0xFF;
    private const byte UsernamePasswordVersion = 1;
    private const byte ConnectCommand = 1;
    private const byte IPv4Address = 1;
    private const byte DomainName = 3;
    private const byte IPv6Address = 4;

    /// <summary>
    /// Connects through <paramref name="proxy"/> within <paramref name="timeout"/> (reaching the proxy and the whole
    /// handshake); <paramref name="cancellationToken"/> cancels as usual.
    /// </summary>
    public static async Task<Socket> ConnectAsync(
        ProxySettings proxy, string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var target = SocketConnector.Describe(host, port);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var step = $"Cannot connect to the proxy {proxy.Address}";
        Socket? socket = null;
        try
        {
            // socks5:// resolves here and sends an address; socks5h:// sends the name for the proxy to resolve.
            var destination = proxy.ResolvesNames || IPAddress.TryParse(host, out _)
                ? host
                : (await SocketConnector.ResolveAsync(host, target, deadline.Token))[0].ToString();
            socket = await SocketConnector.ConnectAsync(proxy.Host, proxy.Port, $"the proxy {proxy.Address}", deadline.Token);
            step = $"The proxy {proxy.Address} did not complete the SOCKS5 handshake for {target}";
            await NegotiateAsync(socket, proxy, deadline.Token);
            await RequestConnectAsync(socket, proxy, destination, port, target, deadline.Token);
            return socket;
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            socket?.Dispose();
            throw new HftpConnectionException(string.Create(CultureInfo.InvariantCulture,
                $"{step}: no answer within {timeout.TotalSeconds:0.###} s (the connect timeout)"), exception);
        }
        catch (SocketException exception)
        {
            socket?.Dispose();
            throw new HftpConnectionException($"{step}: {exception.Message}", exception);
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
    }

    // The greeting: which authentication methods this client can do, and which one the proxy picks.
    private static async Task NegotiateAsync(Socket socket, ProxySettings proxy, CancellationToken cancellationToken)
    {
        byte[] greeting = proxy.HasCredentials
            ? [Version, 2, NoAuthentication, UsernamePassword]
            : [Version, 1, NoAuthentication];
        await socket.SendAsync(greeting, cancellationToken);
        var choice = await ReceiveExactlyAsync(socket, 2, proxy, cancellationToken);
        if (choice[0] != Version)
        {
            throw new HftpConnectionException(string.Create(CultureInfo.InvariantCulture,
                $"{proxy.Address} is not a SOCKS5 proxy: it answered the greeting with version {choice[0]}"));
        }

        switch (choice[1])
        {
            case NoAuthentication:
                return;
            case UsernamePassword when proxy.HasCredentials:
                await AuthenticateAsync(socket, proxy, cancellationToken);
                return;
            case NoAcceptableMethod when !proxy.HasCredentials:
                throw new HftpConnectionException(
                    $"The proxy {proxy.Address} requires authentication: put the username and password in the proxy URL (socks5h://USER:PASSWORD@HOST:PORT)");
            case NoAcceptableMethod:
                throw new HftpConnectionException(
                    $"The proxy {proxy.Address} accepts neither username/password nor no authentication (SOCKS5 method 255)");
            default:
                throw new HftpConnectionException(string.Create(CultureInfo.InvariantCulture,
                    $"The proxy {proxy.Address} chose an authentication method this client did not offer (SOCKS5 method {choice[1]})"));
        }
    }

    // RFC 1929: version 1, the username and the password each after its length; status 0 is success.
    private static async Task AuthenticateAsync(Socket socket, ProxySettings proxy, CancellationToken cancellationToken)
    {
        var userName = Encoding.UTF8.GetBytes(proxy.UserName!);
        var password = Encoding.UTF8.GetBytes(proxy.Password ?? string.Empty);
        byte[] request = [UsernamePasswordVersion, (byte)userName.Length, .. userName, (byte)password.Length, .. password];
        await socket.SendAsync(request, cancellationToken);
        var reply = await ReceiveExactlyAsync(socket, 2, proxy, cancellationToken);
        if (reply[1] != 0)
        {
            throw new HftpConnectionException(string.Create(CultureInfo.InvariantCulture,
                $"The proxy {proxy.Address} refused the username and password (RFC 1929 status {reply[1]})"));
        }
    }

    private static async Task RequestConnectAsync(
        Socket socket, ProxySettings proxy, string destination, int port, string target, CancellationToken cancellationToken)
    {
        var request = new List<byte> { Version, ConnectCommand, 0 };
        if (IPAddress.TryParse(destination, out var address))
        {
            request.Add(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPv6Address : IPv4Address);
            request.AddRange(address.GetAddressBytes());
        }
        else
        {
            var name = Encoding.ASCII.GetBytes(destination);
            if (name.Length > byte.MaxValue || destination.Any(character => !char.IsAscii(character)))
            {
                throw new HftpConnectionException($"Cannot connect to {target} through a SOCKS5 proxy: the name is not 1 to 255 ASCII characters");
            }

            request.Add(DomainName);
            request.Add((byte)name.Length);
            request.AddRange(name);
        }

        request.Add((byte)(port >> 8));
        request.Add((byte)port);
        await socket.SendAsync(request.ToArray(), cancellationToken);

        // VER REP RSV ATYP, then the address the proxy bound (its length by ATYP) and its port: read exactly that
        // much, so the first byte after it is the server's.
        var head = await ReceiveExactlyAsync(socket, 4, proxy, cancellationToken);
        if (head[0] != Version)
        {
            throw new HftpConnectionException(string.Create(CultureInfo.InvariantCulture,
                $"{proxy.Address} is not a SOCKS5 proxy: it answered CONNECT with version {head[0]}"));
        }

        if (head[1] != 0)
        {
            throw new HftpConnectionException($"The proxy could not reach {target}: {Socks5Replies.Describe(head[1])}");
        }

        var addressLength = head[3] switch
        {
            IPv4Address => 4,
            IPv6Address => 16,
            DomainName => (await ReceiveExactlyAsync(socket, 1, proxy, cancellationToken))[0],
            _ => throw new HftpConnectionException(string.Create(CultureInfo.InvariantCulture,
                $"The proxy {proxy.Address} answered CONNECT with an unknown address type {head[3]}")),
        };
        await ReceiveExactlyAsync(socket, addressLength + 2, proxy, cancellationToken); // nothing to do with them
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count, ProxySettings proxy, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        for (var received = 0; received < count;)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new HftpConnectionException(
                    $"The proxy {proxy.Address} closed the connection in the middle of the SOCKS5 handshake");
            }

            received += read;
        }

        return buffer;
    }
}
