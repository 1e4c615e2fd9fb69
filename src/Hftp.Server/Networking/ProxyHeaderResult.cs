using System.Net;

namespace Hftp.Server.Networking;

/// <summary>
/// What <see cref="ProxyHeader.Parse"/> made of the bytes seen so far. <see cref="Source"/> is the client the proxy
/// speaks for; null when the header carries no address (v1 <c>UNKNOWN</c>, v2 <c>LOCAL</c>, a family other than
/// TCP over IPv4 or IPv6), and then the connection's own peer stands.
/// </summary>
internal readonly record struct ProxyHeaderResult(ProxyHeaderStatus Status, int Length, int BytesNeeded, IPEndPoint? Source, string? Error)
{
    public static ProxyHeaderResult NeedMore(int bytes) => new(ProxyHeaderStatus.Incomplete, 0, bytes, null, null);

    public static ProxyHeaderResult Done(int length, IPEndPoint? source) => new(ProxyHeaderStatus.Complete, length, 0, source, null);

    public static ProxyHeaderResult Fail(string error) => new(ProxyHeaderStatus.Invalid, 0, 0, null, error);
}
