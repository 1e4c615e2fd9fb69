namespace Hftp.Client;

/// <summary>
/// Timeouts and limits of an <see cref="HftpClient"/>: a silent or hostile server becomes an exception, never a hang;
/// and its proxy, if any.
/// </summary>
public sealed record HftpClientOptions
{
    /// <summary>A reply makes progress when this many more bytes of it arrive, or when it ends.</summary>
    public const int ProgressBytes = 16 * 1024;

    public const int DefaultMaxListingNames = 100_000;

    /// <summary>Bytes a listing may hold per name allowed (a name of up to 255 bytes and its terminator, rounded).</summary>
    public const int ListingBytesPerName = 256;

    /// <summary>Longest wait for a connection; through a proxy, for reaching it and its whole SOCKS5 handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest a reply may go without progress (<see cref="ProgressBytes"/> more bytes, or its end), counted from the
    /// request: a silent server and one that trickles a byte now and then are both given up on.
    /// </summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most names a listing may hold; a server that goes past it (or past that many times <see cref="ListingBytesPerName"/> bytes) is an error.</summary>
    public int MaxListingNames { get; init; } = DefaultMaxListingNames;

    public long MaxListingBytes => (long)MaxListingNames * ListingBytesPerName;

    /// <summary>A SOCKS5 proxy to connect through (as Tor's <c>socks5h://127.0.0.1:9050</c>); null connects directly.</summary>
    public ProxySettings? Proxy { get; init; }
}
