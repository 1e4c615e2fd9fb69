using System.Globalization;

namespace Hftp.Client;

/// <summary>What a SOCKS5 proxy's reply code (the REP field of its answer to CONNECT) means, in words a user can act on.</summary>
internal static class Socks5Replies
{
    /// <summary>The reason and the code, e.g. <c>host unreachable (SOCKS reply 4)</c>.</summary>
    public static string Describe(byte reply)
    {
        var code = reply < 0x10 ? reply.ToString(CultureInfo.InvariantCulture) : $"0x{reply:X2}";
        return $"{Reason(reply)} (SOCKS reply {code})";
    }

    // 1 to 8 are RFC 1928's; 0xF0 to 0xF7 are Tor's for onion services (sent when its SocksPort has ExtendedErrors).
    private static string Reason(byte reply) => reply switch
    {
        0 => "succeeded",
        1 => "general SOCKS server failure",
        2 => "connection not allowed by the proxy's rules",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        0xF0 => "onion service descriptor not found (the service is offline or the address is wrong)",
        0xF1 => "onion service descriptor is invalid",
        0xF2 => "onion service introduction failed",
        0xF3 => "onion service rendezvous failed",
        0xF4 => "the onion service requires client authorization",
        0xF5 => "the onion service refused the client authorization",
        0xF6 => "not a valid onion address",
        0xF7 => "onion service introduction timed out",
        _ => "unknown reply code",
    };
}
