using System.Net;
using System.Text;
using Hftp.Protocol;
using Hftp.Server.Networking;

namespace Hftp.Server.Tests;

/// <summary>The PROXY protocol header parser, on bytes: versions 1 and 2, every split, and what it must refuse.</summary>
public sealed class ProxyHeaderTests
{
    private static readonly byte[] Version2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static TheoryData<string, string?> ValidHeaders => new()
    {
        { Ascii("PROXY TCP4 203.0.113.7 127.0.0.1 4242 19500\r\n"), "203.0.113.7:4242" },
        { Ascii("PROXY TCP6 2001:db8::7 ::1 65535 19500\r\n"), "[2001:db8::7]:65535" },
        { Ascii("PROXY UNKNOWN\r\n"), null },
        { Ascii("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n"), null },
        { Ascii("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"), "255.255.255.255:65535" },
        { Hex(Version2(0x21, 0x11, [203, 0, 113, 7, 127, 0, 0, 1, 0x10, 0x92, 0x4C, 0x2C])), "203.0.113.7:4242" },
        { Hex(Version2(0x21, 0x21, [.. IPAddress.Parse("2001:db8::7").GetAddressBytes(), .. IPAddress.IPv6Loopback.GetAddressBytes(), 0x10, 0x92, 0x4C, 0x2C])), "[2001:db8::7]:4242" },
        { Hex(Version2(0x20, 0x00, [])), null }, // LOCAL: a health check from the proxy itself
        { Hex(Version2(0x21, 0x11, [203, 0, 113, 7, 127, 0, 0, 1, 0x10, 0x92, 0x4C, 0x2C, 0x04, 0x00, 0x01, 0x00])), "203.0.113.7:4242" }, // a NOOP TLV
    };

    public static TheoryData<string, string> InvalidHeaders => new()
    {
        { Ascii(Requests.GetFileListing), "no PROXY protocol header" },
        { Ascii("GET / HTTP/1.1\r\n"), "no PROXY protocol header" },
        { Ascii("PROXY TCP4 1 127.0.0.1 4242 19500\r\n"), "address" },
        { Ascii("PROXY TCP4 2001:db8::7 127.0.0.1 4242 19500\r\n"), "address" },
        { Ascii("PROXY TCP6 203.0.113.7 ::1 4242 19500\r\n"), "address" },
        { Ascii("PROXY TCP4 203.0.113.7 127.0.0.1 65536 19500\r\n"), "port" },
        { Ascii("PROXY TCP4 203.0.113.7 127.0.0.1 -1 19500\r\n"), "port" },
        { Ascii("PROXY TCP4 203.0.113.7 127.0.0.1 4242\r\n"), "two addresses" },
        { Ascii("PROXY TCP4  203.0.113.7 127.0.0.1 4242 19500\r\n"), "two addresses" },
        { Ascii("PROXY UDP4 203.0.113.7 127.0.0.1 4242 19500\r\n"), "not TCP4" },
        { Ascii("PROXY TCP4 203.0.113.7 127.0.0.1 4242 19500\n"), "CRLF" },
        { Ascii("PROXY TCP4 203.0.113.7\t127.0.0.1 4242 19500\r\n"), "printable" },
        { Ascii("PROXY UNKNOWN " + new string('x', 100) + "\r\n"), "longer than 107" },
        { Hex(Version2(0x11, 0x11, new byte[12])), "version other than 2" },
        { Hex(Version2(0x22, 0x11, new byte[12])), "neither LOCAL nor PROXY" },
        { Hex(Version2(0x21, 0x11, new byte[11])), "too short" },
        { Hex(Version2(0x21, 0x12, new byte[12])), "other than TCP" },
        { Hex([.. Version2Signature, 0x21, 0x11, 0xFF, 0xFF]), "longer than 4096" },
    };

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void AWholeHeaderIsCompleteAndNamesTheClient(string header, string? source)
    {
        var bytes = Decode(header);

        var result = ProxyHeader.Parse(bytes);

        Assert.Equal(ProxyHeaderStatus.Complete, result.Status);
        Assert.Equal(bytes.Length, result.Length);
        Assert.Equal(source, result.Source?.ToString());
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void ReadingWhatItAsksForEndsExactlyAtTheHeaderWhateverFollows(string header, string? source)
    {
        var bytes = Decode(header);
        byte[] stream = [.. bytes, .. System.Text.Encoding.ASCII.GetBytes(Requests.GetFileListing)];

        // As the connection reads: never more than the parser asks for, so the request after it stays unread.
        var received = 0;
        var result = ProxyHeader.Parse([]);
        while (result.Status == ProxyHeaderStatus.Incomplete)
        {
            Assert.InRange(result.BytesNeeded, 1, bytes.Length - received);
            received += result.BytesNeeded;
            result = ProxyHeader.Parse(stream.AsSpan(0, received));
        }

        Assert.Equal(ProxyHeaderStatus.Complete, result.Status);
        Assert.Equal(bytes.Length, received);
        Assert.Equal(source, result.Source?.ToString());
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void EveryStrictPrefixIsIncompleteAndAsksForNoMoreThanTheRest(string header, string? source)
    {
        _ = source;
        var bytes = Decode(header);
        for (var length = 0; length < bytes.Length; length++)
        {
            var result = ProxyHeader.Parse(bytes.AsSpan(0, length));

            Assert.Equal(ProxyHeaderStatus.Incomplete, result.Status);
            Assert.InRange(result.BytesNeeded, 1, bytes.Length - length);
        }
    }

    [Theory]
    [MemberData(nameof(InvalidHeaders))]
    public void AMalformedHeaderIsInvalidAndSaysWhy(string header, string reason)
    {
        var bytes = Decode(header);

        var result = ProxyHeader.Parse(bytes);

        Assert.Equal(ProxyHeaderStatus.Invalid, result.Status);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.NotEqual(ProxyHeaderStatus.Complete, ProxyHeader.Parse(bytes.AsSpan(0, length)).Status);
        }
    }

    [Fact]
    public void AVersion1LineWithoutEndIsRefusedOnceItPassesTheLimit()
    {
        var bytes = Encoding.ASCII.GetBytes("PROXY TCP4 " + new string('1', 200));

        Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeader.Parse(bytes.AsSpan(0, ProxyHeader.MaxVersion1Length - 1)).Status);
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeader.Parse(bytes.AsSpan(0, ProxyHeader.MaxVersion1Length)).Status);
    }

    [Fact]
    public void AWrongFirstByteIsRefusedAtOnce()
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeader.Parse("g"u8).Status);
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeader.Parse("PROXX"u8).Status);
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeader.Parse([0x0D, 0x0A, 0x0D, 0x0B]).Status);
    }

    private static byte[] Version2(byte versionAndCommand, byte familyAndProtocol, byte[] addresses) =>
        [.. Version2Signature, versionAndCommand, familyAndProtocol, (byte)(addresses.Length >> 8), (byte)addresses.Length, .. addresses];

    // Theory data must be serializable to show in test names: text as "a:" + ASCII, bytes as "x:" + hex.
    private static string Ascii(string text) => "a:" + text;

    private static string Hex(byte[] bytes) => "x:" + Convert.ToHexString(bytes);

    private static byte[] Decode(string data) =>
        data.StartsWith("a:", StringComparison.Ordinal) ? Encoding.ASCII.GetBytes(data[2..]) : Convert.FromHexString(data[2..]);
}
