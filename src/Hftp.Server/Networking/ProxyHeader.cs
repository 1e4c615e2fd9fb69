using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hftp.Server.Networking;

/// <summary>Where reading a PROXY protocol header stands after the bytes seen so far.</summary>
internal enum ProxyHeaderStatus
{
    /// <summary>Could still become a valid header: read <see cref="ProxyHeaderResult.BytesNeeded"/> more bytes.</summary>
    Incomplete,

    /// <summary>A whole, valid header of <see cref="ProxyHeaderResult.Length"/> bytes.</summary>
    Complete,

    /// <summary>Not a valid header; <see cref="ProxyHeaderResult.Error"/> says why.</summary>
    Invalid,
}

/// <summary>What <see cref="ProxyHeader.Parse"/> made of the bytes so far. <see cref="Source"/>: the client the proxy
/// speaks for, or null (the peer stands) if the header has none (v1 UNKNOWN, v2 LOCAL, not TCP).</summary>
internal readonly record struct ProxyHeaderResult(ProxyHeaderStatus Status, int Length, int BytesNeeded, IPEndPoint? Source, string? Error)
{
    public static ProxyHeaderResult NeedMore(int bytes) => new(ProxyHeaderStatus.Incomplete, 0, bytes, null, null);

    public static ProxyHeaderResult Done(int length, IPEndPoint? source) => new(ProxyHeaderStatus.Complete, length, 0, source, null);

    public static ProxyHeaderResult Fail(string error) => new(ProxyHeaderStatus.Invalid, 0, 0, null, error);
}

/// <summary>Parses the PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) a load balancer sends
/// ahead of the client's bytes, naming the client. Pure: it says if the bytes so far are a header, cannot be one, or
/// how many more to read, never more than the header can still need, so <see cref="TryRead"/> reads exactly that many
/// (--proxy-protocol, under the request timeout) and leaves the client's first request in the socket.</summary>
internal static class ProxyHeader
{
    /// <summary>The longest version 1 header, CRLF included, as the specification fixes it.</summary>
    public const int MaxVersion1Length = 107;

    /// <summary>The longest version 2 header accepted: 16 fixed bytes, 36 of TCP over IPv6 addresses, the rest a proxy's TLVs.</summary>
    public const int MaxVersion2Length = 4096;

    // "PROXY UNKNOWN\r\n": no header is shorter, so reading this many bytes never reads past one.
    private const int ShortestLength = 15;

    private const int Version2FixedLength = 16;

    private static ReadOnlySpan<byte> Version1Prefix => "PROXY "u8;

    private static ReadOnlySpan<byte> Version2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static ProxyHeaderResult Parse(ReadOnlySpan<byte> received) =>
        received.IsEmpty ? ProxyHeaderResult.NeedMore(ShortestLength)
        : StartsLike(received, Version1Prefix) ? ParseVersion1(received)
        : StartsLike(received, Version2Signature) ? ParseVersion2(received)
        : ProxyHeaderResult.Fail("no PROXY protocol header");

    /// <summary>Reads a header from the connection: true with the client the proxy speaks for (null: the header names
    /// none), false with the reason when the bytes are no header, or ended first.</summary>
    public static bool TryRead(SocketDeadline deadline, ConnectionServices services, out IPEndPoint? source, out string? failure)
    {
        source = null;
        var buffer = services.Buffers.Rent(MaxVersion2Length);
        var started = services.Time.GetTimestamp();
        try
        {
            var received = 0;
            while (true)
            {
                var result = Parse(buffer.AsSpan(0, received));
                if (result.Status != ProxyHeaderStatus.Incomplete)
                {
                    (source, failure) = (result.Source, result.Error);
                    return result.Status == ProxyHeaderStatus.Complete;
                }

                var count = deadline.Receive(buffer.AsSpan(received, result.BytesNeeded), Wait.RestOfLine, services.Options.RequestTimeout, started);
                if (count <= 0)
                {
                    failure = count < 0
                        ? "no complete PROXY protocol header within the request timeout"
                        : "no complete PROXY protocol header before closing";
                    return false;
                }

                received += count;
            }
        }
        finally
        {
            services.Buffers.Return(buffer);
        }
    }

    // True when the bytes so far agree with the start of the signature (all of it, once they are as long).
    private static bool StartsLike(ReadOnlySpan<byte> received, ReadOnlySpan<byte> signature)
    {
        var length = Math.Min(received.Length, signature.Length);
        return received[..length].SequenceEqual(signature[..length]);
    }

    private static ProxyHeaderResult ParseVersion1(ReadOnlySpan<byte> received)
    {
        var end = received.IndexOf((byte)'\n');
        if (end < 0 ? received.Length >= MaxVersion1Length : end + 1 > MaxVersion1Length)
        {
            return ProxyHeaderResult.Fail($"a version 1 header longer than {MaxVersion1Length} bytes");
        }

        if (end < 0)
        {
            // The line ends somewhere ahead; only one byte is certain to belong to it.
            return ProxyHeaderResult.NeedMore(Math.Max(ShortestLength - received.Length, 1));
        }

        if (end == 0 || received[end - 1] != (byte)'\r')
        {
            return ProxyHeaderResult.Fail("a version 1 header not ended by CRLF");
        }

        var line = received[..(end - 1)];
        if (line.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0)
        {
            return ProxyHeaderResult.Fail("a version 1 header with a byte that is not printable ASCII");
        }

        // Printable ASCII of at most 105 bytes: safe to look at as text.
        var parts = Encoding.ASCII.GetString(line).Split(' ');
        var length = end + 1;
        if (parts[1] == "UNKNOWN")
        {
            // The specification: the rest of an UNKNOWN line is to be ignored.
            return ProxyHeaderResult.Done(length, null);
        }

        if (parts[1] is not ("TCP4" or "TCP6"))
        {
            return ProxyHeaderResult.Fail("a version 1 header whose protocol is not TCP4, TCP6 or UNKNOWN");
        }

        var family = parts[1] == "TCP4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        if (parts.Length != 6)
        {
            return ProxyHeaderResult.Fail("a version 1 header without exactly two addresses and two ports");
        }

        if (!TryParseAddress(parts[2], family, out var source) || !TryParseAddress(parts[3], family, out _))
        {
            return ProxyHeaderResult.Fail($"a version 1 header with an address that is not {parts[1]}");
        }

        if (!TryParsePort(parts[4], out var sourcePort) || !TryParsePort(parts[5], out _))
        {
            return ProxyHeaderResult.Fail("a version 1 header with a port that is not 0 to 65535");
        }

        return ProxyHeaderResult.Done(length, new IPEndPoint(source, sourcePort));
    }

    // IPAddress.TryParse also takes forms the specification excludes ("1", "0x7f.1", scope ids); these do not pass.
    private static bool TryParseAddress(string text, AddressFamily family, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        var allowed = family == AddressFamily.InterNetwork ? "0123456789." : "0123456789abcdefABCDEF:.";
        return text.Length > 0 && text.AsSpan().IndexOfAnyExcept(allowed) < 0
            && (family != AddressFamily.InterNetwork || text.AsSpan().Count('.') == 3)
            && IPAddress.TryParse(text, out address) && address.AddressFamily == family;
    }

    // Digits only (NumberStyles.None: no sign, no spaces), at most five of them.
    private static bool TryParsePort(string text, out ushort port) =>
        ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && text.Length <= 5;

    private static ProxyHeaderResult ParseVersion2(ReadOnlySpan<byte> received)
    {
        if (received.Length < Version2FixedLength)
        {
            return ProxyHeaderResult.NeedMore(Version2FixedLength - received.Length);
        }

        var versionAndCommand = received[12];
        if (versionAndCommand >> 4 != 2)
        {
            return ProxyHeaderResult.Fail("a version 2 signature with a version other than 2");
        }

        var command = versionAndCommand & 0x0F;
        if (command > 1)
        {
            return ProxyHeaderResult.Fail("a version 2 header whose command is neither LOCAL nor PROXY");
        }

        var length = Version2FixedLength + BinaryPrimitives.ReadUInt16BigEndian(received[14..16]);
        if (length > MaxVersion2Length)
        {
            return ProxyHeaderResult.Fail($"a version 2 header longer than {MaxVersion2Length} bytes");
        }

        if (received.Length < length)
        {
            return ProxyHeaderResult.NeedMore(length - received.Length);
        }

        // LOCAL: the proxy's own connection (a health check); the peer's address stands.
        if (command == 0)
        {
            return ProxyHeaderResult.Done(length, null);
        }

        var addresses = received[Version2FixedLength..length];
        var familyAndProtocol = received[13];
        switch (familyAndProtocol)
        {
            case 0x11: // TCP over IPv4: source, destination, source port, destination port
                return addresses.Length < 12
                    ? ProxyHeaderResult.Fail("a version 2 TCP4 header too short for its addresses")
                    : ProxyHeaderResult.Done(length, new IPEndPoint(new IPAddress(addresses[..4]), BinaryPrimitives.ReadUInt16BigEndian(addresses[8..10])));
            case 0x21: // TCP over IPv6
                return addresses.Length < 36
                    ? ProxyHeaderResult.Fail("a version 2 TCP6 header too short for its addresses")
                    : ProxyHeaderResult.Done(length, new IPEndPoint(new IPAddress(addresses[..16]), BinaryPrimitives.ReadUInt16BigEndian(addresses[32..34])));
            case 0x00 or 0x31: // unspecified, or a Unix socket: no address worth logging
                return ProxyHeaderResult.Done(length, null);
            default:
                return ProxyHeaderResult.Fail($"a version 2 header for a transport other than TCP (0x{familyAndProtocol:X2})");
        }
    }
}
