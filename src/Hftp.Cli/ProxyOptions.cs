using System.CommandLine;
using System.CommandLine.Parsing;
using Hftp.Client;

namespace Hftp.Cli;

/// <summary><c>--proxy</c> and <c>--noproxy</c>, on every command, and the proxy they choose for a host (<see cref="ProxyChoice"/>).</summary>
internal sealed class ProxyOptions
{
    public Option<string> Proxy { get; } = new("--proxy")
    {
        Description = "Connect through a SOCKS5 proxy: socks5h://HOST:PORT has the proxy resolve the server's name (Tor's "
            + ".onion names need it), socks5://HOST:PORT resolves it here; USER:PASSWORD@HOST logs in; '' for no proxy "
            + "[default: $ALL_PROXY]",
        HelpName = "URL",
        CustomParser = ParseProxy,
        Recursive = true,
    };

    public Option<string> NoProxy { get; } = new("--noproxy")
    {
        Description = "Hosts to connect to directly, comma-separated: a name also covers its subdomains, ADDRESS/BITS a "
            + "range, * every host [default: $NO_PROXY]",
        HelpName = "LIST",
        Recursive = true,
    };

    /// <summary><paramref name="options"/> with the proxy chosen for <paramref name="host"/>, if any.</summary>
    public HftpClientOptions ApplyTo(HftpClientOptions options, ParseResult parseResult, string host) => options with
    {
        Proxy = ProxyChoice.For(host, parseResult.GetValue(Proxy), parseResult.GetValue(NoProxy), Environment.GetEnvironmentVariable),
    };

    // Checked while parsing, so a bad URL is a usage error (exit 1) before anything connects; '' turns the proxy off.
    private static string ParseProxy(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!string.IsNullOrWhiteSpace(text))
        {
            try
            {
                ProxySettings.Parse(text.Trim());
            }
            catch (FormatException exception)
            {
                result.AddError($"--proxy: {exception.Message}");
            }
        }

        return text;
    }
}
