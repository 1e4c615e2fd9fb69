using System.Net;
using Hftp.Client;

namespace Hftp.Cli;

/// <summary>
/// Which proxy a connection to a host goes through, by curl's rules: <c>--proxy URL</c>, else <c>all_proxy</c> or
/// <c>ALL_PROXY</c> from the environment (an empty <c>--proxy ''</c> means none, whatever the environment says);
/// hosts named by <c>--noproxy LIST</c>, else <c>no_proxy</c> or <c>NO_PROXY</c>, are connected to directly.
/// </summary>
public static class ProxyChoice
{
    /// <summary>The proxy for <paramref name="host"/>, or null to connect directly; a bad URL throws <see cref="ArgumentException"/>.</summary>
    public static ProxySettings? For(string host, string? proxyOption, string? noProxyOption, Func<string, string?> environment)
    {
        var (url, source) = proxyOption is not null
            ? (proxyOption, "--proxy")
            : FirstSet(environment, "all_proxy", "ALL_PROXY");
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        var noProxy = noProxyOption ?? FirstSet(environment, "no_proxy", "NO_PROXY").Value;
        if (noProxy is not null && Bypasses(noProxy, host))
        {
            return null;
        }

        try
        {
            return ProxySettings.Parse(url.Trim());
        }
        catch (FormatException exception)
        {
            throw new ArgumentException($"{source}: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// Whether <paramref name="host"/> is on the comma-separated <paramref name="list"/>: <c>*</c> is every host; a
    /// name matches itself and its subdomains (<c>example.com</c> and <c>.example.com</c> both match
    /// <c>www.example.com</c>); an address matches itself, and <c>ADDRESS/BITS</c> the addresses in that range.
    /// </summary>
    public static bool Bypasses(string list, string host)
    {
        host = host.Trim('[', ']').TrimEnd('.');
        var address = IPAddress.TryParse(host, out var parsed) ? parsed : null;
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var entry = raw.Trim('[', ']').TrimEnd('.');
            if (entry == "*")
            {
                return true;
            }

            if (address is not null)
            {
                if ((IPAddress.TryParse(entry, out var listed) && listed.Equals(address))
                    || (entry.Contains('/', StringComparison.Ordinal) && IPNetwork.TryParse(entry, out var network) && network.Contains(address)))
                {
                    return true;
                }

                continue;
            }

            var domain = entry.TrimStart('.');
            if (domain.Length > 0 && (host.Equals(domain, StringComparison.OrdinalIgnoreCase)
                || host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    private static (string? Value, string Source) FirstSet(Func<string, string?> environment, string lower, string upper) =>
        environment(lower) is { } value ? (value, lower) : (environment(upper), upper);
}
