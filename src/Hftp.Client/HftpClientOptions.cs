namespace Hftp.Client;

/// <summary>Timeouts of an <see cref="HftpClient"/>: a silent server becomes an exception, never a hang; and its proxy, if any.</summary>
public sealed record HftpClientOptions
{
    /// <summary>Longest wait for a connection; through a proxy, for reaching it and its whole SOCKS5 handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest wait for the next bytes of a reply (not for the whole reply: a large slice may take long).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A SOCKS5 proxy to connect through (as Tor's <c>socks5h://127.0.0.1:9050</c>); null connects directly.</summary>
    public ProxySettings? Proxy { get; init; }
}
