using Hftp.Client;

namespace Hftp.Client.Tests;

/// <summary>Proxy URLs as curl reads them: socks5h:// resolves at the proxy, socks5:// here; USER:PASSWORD@ for RFC 1929.</summary>
public sealed class ProxySettingsTests
{
    [Theory]
    [InlineData("socks5h://127.0.0.1:9050", "127.0.0.1", 9050, true)]
    [InlineData("SOCKS5://proxy.example:1081/", "proxy.example", 1081, false)]
    [InlineData("socks5h://[::1]:9050", "::1", 9050, true)]
    [InlineData("socks5h://localhost", "localhost", ProxySettings.DefaultPort, true)]
    public void ReadsHostPortAndWhereNamesAreResolved(string url, string host, int port, bool resolvesNames)
    {
        var proxy = ProxySettings.Parse(url);

        Assert.Equal((host, port, resolvesNames, false), (proxy.Host, proxy.Port, proxy.ResolvesNames, proxy.HasCredentials));
    }

    [Fact]
    public void ReadsPercentEncodedCredentialsAndNeverShowsThePassword()
    {
        var proxy = ProxySettings.Parse("socks5h://stu%40dent:p%3Ass@127.0.0.1:1080");

        Assert.Equal(("stu@dent", "p:ss"), (proxy.UserName, proxy.Password));
        Assert.DoesNotContain("p:ss", proxy.ToString(), StringComparison.Ordinal);
        Assert.Equal("[::1]:9050", ProxySettings.Parse("socks5h://[::1]:9050").Address);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", "'http://127.0.0.1:8080' is not a SOCKS5 proxy URL")]
    [InlineData("127.0.0.1:9050", "'127.0.0.1:9050' is not a SOCKS5 proxy URL")]
    [InlineData("socks5h://u:secret@127.0.0.1:99999", "'socks5h://USER:PASSWORD@127.0.0.1:99999' is not a proxy URL")]
    [InlineData("socks5h://127.0.0.1:9050/path", "'socks5h://127.0.0.1:9050/path' is not a proxy URL")]
    [InlineData("socks5h://127.0.0.1:0", "the proxy's port must be 1 to 65535")]
    public void RefusesWhatIsNotASocks5Url(string url, string message)
    {
        var failure = Assert.Throws<FormatException>(() => ProxySettings.Parse(url));

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure.Message, StringComparison.Ordinal);
    }
}
