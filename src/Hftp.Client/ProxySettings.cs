using System.Globalization;
using System.Text;

namespace Hftp.Client;

/// <summary>
/// A SOCKS5 proxy to connect through, written as curl writes it: <c>socks5h://HOST:PORT</c> has the proxy resolve
/// the server's name (what a Tor <c>.onion</c> name needs), <c>socks5://HOST:PORT</c> resolves it here and sends
/// the proxy an address. <c>USER:PASSWORD@</c> before the host is sent as RFC 1929 username/password
/// authentication; without it the client offers only "no authentication".
/// </summary>
public sealed record ProxySettings(string Host, int Port, bool ResolvesNames, string? UserName = null, string? Password = null)
{
    /// <summary>SOCKS's registered port, curl's default when the URL names none.</summary>
    public const int DefaultPort = 1080;

    // RFC 1929: the username and the password are each sent after a one-byte length.
    private const int MaximumCredentialBytes = 255;

    /// <summary>Reads a proxy URL; a URL that is not a SOCKS5 one throws <see cref="FormatException"/> saying why.</summary>
    public static ProxySettings Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var shown = Redact(url);
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd < 0 ? string.Empty : url[..schemeEnd].ToLowerInvariant();
        var resolvesNames = scheme switch
        {
            "socks5h" => true,
            "socks5" => false,
            _ => throw new FormatException(
                $"'{shown}' is not a SOCKS5 proxy URL: write socks5h://HOST:PORT (names resolved by the proxy, as Tor needs) or socks5://HOST:PORT"),
        };

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0
            || uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new FormatException($"'{shown}' is not a proxy URL of the form {scheme}://[USER:PASSWORD@]HOST[:PORT]");
        }

        var port = uri.IsDefaultPort ? DefaultPort : uri.Port;
        if (port == 0)
        {
            throw new FormatException($"'{shown}': the proxy's port must be 1 to 65535");
        }

        var (userName, password) = ReadCredentials(shown, uri.UserInfo);
        return new ProxySettings(uri.IdnHost, port, resolvesNames, userName, password);
    }

    /// <summary>The proxy as <c>HOST:PORT</c>, for messages (never the password).</summary>
    public string Address => Host.Contains(':', StringComparison.Ordinal)
        ? string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}")
        : string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    public bool HasCredentials => UserName is not null;

    // The password is kept out of the record's text, so it cannot reach a log or a message by accident.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Address = {Address}, ResolvesNames = {ResolvesNames}, UserName = {UserName}");
        return true;
    }

    private static (string? UserName, string? Password) ReadCredentials(string shown, string userInfo)
    {
        if (userInfo.Length == 0)
        {
            return (null, null);
        }

        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var userName = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
        var password = colon < 0 ? string.Empty : Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        if (userName.Length == 0 || Encoding.UTF8.GetByteCount(userName) > MaximumCredentialBytes
            || Encoding.UTF8.GetByteCount(password) > MaximumCredentialBytes)
        {
            throw new FormatException(
                $"'{shown}': the proxy's username must be 1 to 255 bytes and its password at most 255 (RFC 1929)");
        }

        return (userName, password);
    }

    // What a message may show of a URL: not its USER:PASSWORD part.
    private static string Redact(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var at = url.LastIndexOf('@');
        return start >= 3 && at > start ? url[..start] + "USER:PASSWORD" + url[at..] : url;
    }
}
