using Hftp.Cli;

namespace Hftp.Cli.Tests;

/// <summary>curl's rules for choosing a proxy: --proxy over ALL_PROXY, --noproxy over NO_PROXY, '' for none.</summary>
public sealed class ProxyChoiceTests
{
    private const string Tor = "socks5h://127.0.0.1:9050";

    [Fact]
    public void TheOptionWinsOverTheEnvironmentAndAnEmptyOneTurnsTheProxyOff()
    {
        var environment = Environment(("ALL_PROXY", "socks5://10.0.0.1:1080"));

        Assert.Equal(9050, ProxyChoice.For("xyz.onion", Tor, null, environment)!.Port);
        Assert.Equal(1080, ProxyChoice.For("xyz.onion", null, null, environment)!.Port);
        Assert.Null(ProxyChoice.For("xyz.onion", string.Empty, null, environment));
        Assert.Null(ProxyChoice.For("xyz.onion", null, null, Environment()));
    }

    [Fact]
    public void LowerCaseVariablesComeFirstAsInCurl()
    {
        var environment = Environment(("all_proxy", Tor), ("ALL_PROXY", "socks5://10.0.0.1:1080"), ("no_proxy", "other"), ("NO_PROXY", "*"));

        Assert.Equal(9050, ProxyChoice.For("xyz.onion", null, null, environment)!.Port);
    }

    [Fact]
    public void TheNoProxyOptionWinsOverTheEnvironment()
    {
        var environment = Environment(("NO_PROXY", "*"));

        Assert.Null(ProxyChoice.For("xyz.onion", Tor, null, environment));
        Assert.NotNull(ProxyChoice.For("xyz.onion", Tor, "localhost", environment));
    }

    [Theory]
    [InlineData("*", "anything.onion", true)]
    [InlineData("localhost", "LOCALHOST", true)]
    [InlineData("example.com", "www.example.com", true)]
    [InlineData(".example.com", "example.com", true)]
    [InlineData("example.com", "badexample.com", false)]
    [InlineData(" a.test , 127.0.0.1 ", "127.0.0.1", true)]
    [InlineData("10.0.0.0/8", "10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "11.1.2.3", false)]
    [InlineData("::1", "[::1]", true)]
    [InlineData("127.0.0.1", "localhost", false)]
    public void NoProxyMatchesNamesSuffixesAddressesAndRanges(string list, string host, bool bypasses)
    {
        Assert.Equal(bypasses, ProxyChoice.Bypasses(list, host));
    }

    [Fact]
    public void ABadUrlInTheEnvironmentIsAUsageErrorNamingTheVariable()
    {
        var failure = Assert.Throws<ArgumentException>(() => ProxyChoice.For("h", null, null, Environment(("ALL_PROXY", "http://proxy:3128"))));

        Assert.StartsWith("ALL_PROXY: 'http://proxy:3128' is not a SOCKS5 proxy URL", failure.Message, StringComparison.Ordinal);
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.Where(variable => variable.Name == name).Select(variable => variable.Value).FirstOrDefault();
}
