namespace Hftp.Benchmark.Tests;

/// <summary>hftp-benchmark's command line: the shared whole-number parser and parse-error lines, and its short flags.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("-c", "0", "--connections must be a whole number from 1 to 100000 (got '0').")]
    [InlineData("-j", "lots", "--connections must be a whole number from 1 to 100000 (got 'lots').")]
    [InlineData("-d", "601", "--duration must be a whole number of seconds from 1 to 600 (got '601').")]
    [InlineData("-P", "-1", "--pipeline must be a whole number from 1 to 10000 (got '-1').")]
    [InlineData("--port", "70000", "--port must be a whole number from 0 to 65535 (got '70000').")]
    public async Task BadNumberIsOneLineNamingTheOptionThenWhereHelpIs(string option, string value, string expected)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await BenchmarkCommand.InvokeAsync(["small", "-f", "f.txt", option, value], output, error);

        Assert.Equal(1, exitCode);
        Assert.Equal($"hftp-benchmark: {expected}\nTry 'hftp-benchmark --help' for more information.\n", error.ToString().ReplaceLineEndings("\n"));
        Assert.Empty(output.ToString());
    }

    [Theory]
    [InlineData("-c")]
    [InlineData("-j")]
    [InlineData("--connections")]
    public void ConnectionsAreDashJAsInHftpAndDashCAsInWrk(string flag)
    {
        var parsed = BenchmarkCommand.Create(TextWriter.Null).Parse(["bulk", "-f", "f.txt", flag, "7", "-d", "3"]);

        Assert.Empty(parsed.Errors);
        Assert.Equal(7, parsed.GetValue<int>("--connections"));
        Assert.Equal(3, parsed.GetValue<double>("--duration"));
        Assert.Equal("f.txt", parsed.GetValue<string>("--file"));
    }
}
